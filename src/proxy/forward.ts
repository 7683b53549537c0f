// Forwarding one request to an upstream over a keep-alive agent, streaming
// both ways (SSE and chunked responses pass as they arrive). Headers travel as
// raw arrays: no per-request header objects, which is most of why this is
// faster than http-proxy-3 or a plain request().pipe() (bench/proxy).

import http from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and our own hop counter: never forwarded as received. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'x-devport-hops']);
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port']);

export const HOPS_HEADER = 'x-devport-hops';

export interface Target {
  host: string;
  port: number;
  /** Path on the upstream (prefix stripped or not, query kept; an http route's base path prepended). */
  path: string;
  /** Rewrite Host to the upstream (change_origin). */
  changeOrigin: boolean;
}

export interface ForwardContext {
  hops: number;
  /** The proxy's own port, for X-Forwarded-Port. */
  port: number;
}

const agents = new Map<string, http.Agent>();

/** One keep-alive agent per upstream: without one every request pays a TCP handshake (and TIME_WAIT). */
export function agentFor(host: string, port: number): http.Agent {
  const id = `${host}:${port}`;
  let a = agents.get(id);
  if (!a) {
    a = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
    agents.set(id, a);
  }
  return a;
}

export function destroyAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() === 'connection') {
      for (const t of (raw[i + 1] ?? '').split(',')) {
        const v = t.trim().toLowerCase();
        if (v && v !== 'close' && v !== 'keep-alive') (out ??= new Set()).add(v);
      }
    }
  }
  return out;
}

/** The request headers for the upstream: hop-by-hop removed, X-Forwarded-* set, the hop count raised. */
export function upstreamHeaders(req: http.IncomingMessage, t: Target, ctx: ForwardContext): string[] {
  const raw = req.rawHeaders;
  const extra = connectionTokens(raw);
  const out: string[] = [];
  let xff = '';
  let host = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || extra?.has(lower)) continue;
    if (FORWARDED.has(lower)) {
      if (lower === 'x-forwarded-for') xff = xff ? `${xff}, ${value}` : value;
      continue;
    }
    if (lower === 'host') {
      host = value;
      if (t.changeOrigin) continue;
    }
    out.push(name, value);
  }
  if (t.changeOrigin) out.push('Host', `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`);
  const client = req.socket.remoteAddress ?? '';
  out.push(
    'X-Forwarded-For', xff ? `${xff}, ${client}` : client,
    'X-Forwarded-Proto', 'http',
    'X-Forwarded-Host', host,
    'X-Forwarded-Port', String(ctx.port),
    'X-Devport-Hops', String(ctx.hops),
  );
  return out;
}

/** Response headers for the client: hop-by-hop removed (Node frames the body itself). */
export function clientHeaders(raw: readonly string[]): string[] {
  const extra = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || extra?.has(lower)) continue;
    out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

export type ForwardOutcome =
  | { kind: 'responded'; status: number }
  /** The upstream answered 404 and the route falls through: nothing was sent to the client. */
  | { kind: 'declined' }
  /** The upstream could not be reached: nothing was sent to the client. */
  | { kind: 'unreachable'; code: string }
  | { kind: 'aborted' };

export function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export function forward(req: http.IncomingMessage, res: http.ServerResponse, t: Target, ctx: ForwardContext, opts: { declineOn404: boolean }): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: ForwardOutcome) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const up = http.request(
      {
        host: t.host,
        port: t.port,
        method: req.method,
        path: t.path,
        headers: upstreamHeaders(req, t, ctx),
        agent: agentFor(t.host, t.port),
        setHost: false,
      },
      (ur) => {
        const status = ur.statusCode ?? 502;
        if (opts.declineOn404 && status === 404) {
          ur.resume();
          done({ kind: 'declined' });
          return;
        }
        res.writeHead(status, ur.statusMessage, clientHeaders(ur.rawHeaders));
        // Each chunk as it arrives (SSE and long polls are never buffered), pausing for a slow client.
        ur.on('data', (chunk: Buffer) => {
          if (!res.write(chunk)) {
            ur.pause();
            res.once('drain', () => ur.resume());
          }
        });
        ur.on('end', () => {
          res.end();
          done({ kind: 'responded', status });
        });
        ur.on('error', () => {
          res.destroy();
          done({ kind: 'aborted' });
        });
      },
    );
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        done({ kind: 'aborted' });
      } else done({ kind: 'unreachable', code: err.code ?? err.message });
    });
    // The client went away: stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) {
        up.destroy();
        done({ kind: 'aborted' });
      }
    });
    if (hasBody(req)) req.pipe(up);
    else up.end();
  });
}
