// Replaying a captured request (edited or not) through the proxy itself, so
// the replay takes the same route and is captured like any other request.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { BodyTap } from './body-tap.js';
import { REPLAY_HEADER, type CaptureRing } from './capture.js';
import type { ReplayRequest, ReplayResult } from './capture-types.js';

/** Not sent as given: the length is the new body's, the hop count and framing are the proxy's. */
const DROPPED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'x-devport-hops', REPLAY_HEADER, 'expect', 'upgrade']);

export const REPLAY_TIMEOUT_MS = 30_000;

/** A request body as JSON asked it: failures as data (400 with why). */
export function parseReplay(text: string): ReplayRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(text === '' ? '{}' : text);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the body must be a JSON object (ReplayRequest)';
  const o = v as Record<string, unknown>;
  if (typeof o.method !== 'string' || !/^[A-Za-z]+$/.test(o.method)) return '"method" must be an HTTP method';
  if (typeof o.url !== 'string' || !o.url.startsWith('/')) return '"url" must be a path on the proxy (starting with /)';
  if (!Array.isArray(o.headers) || !o.headers.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string')) {
    return '"headers" must be a list of [name, value] pairs';
  }
  for (const [name, value] of o.headers as [string, string][]) {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch {
      return `header ${JSON.stringify(name)} is not a valid HTTP header (name or value)`;
    }
  }
  if (o.body !== null && typeof o.body !== 'string') return '"body" must be a string or null';
  return { method: o.method.toUpperCase(), url: o.url, headers: o.headers as [string, string][], body: o.body as string | null };
}

/** Where the proxy can be reached from its own sidecar (a wildcard bind answers on loopback). */
export function selfHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[|\]$/g, '');
}

export function replay(ring: CaptureRing | undefined, target: { host: string; port: number }, r: ReplayRequest): Promise<ReplayResult> {
  const token = randomUUID();
  let id: number | null = null;
  const cancel = ring?.expectReplay(token, (n) => (id = n));
  const headers: [string, string][] = r.headers.filter(([n]) => !DROPPED.has(n.toLowerCase()));
  const body = r.body === null ? undefined : Buffer.from(r.body, 'utf8');
  if (body !== undefined) headers.push(['Content-Length', String(body.length)]);
  headers.push([REPLAY_HEADER, token]);
  const host = selfHost(target.host);
  // Headers given as a list: Node adds no Host of its own.
  if (!headers.some(([n]) => n.toLowerCase() === 'host')) headers.unshift(['Host', `${host.includes(':') ? `[${host}]` : host}:${target.port}`]);
  const t0 = performance.now();
  return new Promise<ReplayResult>((resolve, reject) => {
    const req = http.request(
      { host, port: target.port, method: r.method, path: r.url, headers: headers.flat(), agent: false, timeout: REPLAY_TIMEOUT_MS },
      (res) => {
        const tap = new BodyTap();
        res.on('data', (d: Buffer) => tap.add(d));
        res.on('end', () => {
          tap.seal();
          const raw = res.rawHeaders;
          const pairs: [string, string][] = [];
          for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] ?? '', raw[i + 1] ?? '']);
          resolve({ status: res.statusCode ?? 0, headers: pairs, body: tap.toJSON(res.headers['content-type'], res.headers['content-encoding']), duration_ms: Math.round((performance.now() - t0) * 1000) / 1000, id });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${REPLAY_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  }).finally(() => cancel?.());
}
