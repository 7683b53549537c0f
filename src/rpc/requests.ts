// Asking a proxy sidecar for its captured requests over rpc.sock (the
// endpoints are in src/proxy/capture-types.ts). Failures as data.

import http from 'node:http';
import type { CapturedRequest, ListResponse } from '../proxy/capture-types.js';
import { rpcRequest, socketPath } from './client.js';
import { frameData, sseFrames } from './sse.js';

export type Asked<T> = { ok: true; value: T } | { ok: false; why: 'off' | 'unreachable' | 'gone'; message: string };

function parsed<T>(r: { status: number; body: string }): Asked<T> {
  let v: unknown;
  try {
    v = JSON.parse(r.body);
  } catch {
    return { ok: false, why: 'unreachable', message: `the sidecar answered ${r.status} with something that is not JSON` };
  }
  if (r.status === 200) return { ok: true, value: v as T };
  const o = v as { code?: string; message?: string };
  if (r.status === 409 && o.code === 'CAPTURE_OFF') return { ok: false, why: 'off', message: o.message ?? 'capture is off' };
  if (r.status === 404) return { ok: false, why: 'gone', message: o.message ?? 'not found' };
  return { ok: false, why: 'unreachable', message: o.message ?? `status ${r.status}` };
}

export async function listRequests(dir: string, query: { after?: number; limit?: number; bodies?: boolean } = {}): Promise<Asked<ListResponse>> {
  const q = new URLSearchParams();
  if (query.after !== undefined) q.set('after', String(query.after));
  if (query.limit !== undefined) q.set('limit', String(query.limit));
  if (query.bodies) q.set('bodies', '1');
  try {
    return parsed<ListResponse>(await rpcRequest(dir, 'GET', `/requests${q.size > 0 ? `?${q}` : ''}`, 15_000));
  } catch (err: unknown) {
    return { ok: false, why: 'unreachable', message: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

export async function getRequest(dir: string, id: number): Promise<Asked<CapturedRequest>> {
  try {
    return parsed<CapturedRequest>(await rpcRequest(dir, 'GET', `/requests/${id}`));
  } catch (err: unknown) {
    return { ok: false, why: 'unreachable', message: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

/**
 * Calls `onEntry` with each new or updated entry of the proxy's stream (no bodies) until `signal`
 * aborts or the sidecar goes away; `onOpen` once subscribed (nothing new is missed after it).
 */
export function streamRequests(dir: string, onEntry: (c: CapturedRequest) => void, signal: AbortSignal, onOpen: () => void = () => {}): Promise<void> {
  return new Promise((resolve, reject) => {
    let sock: string;
    try {
      sock = socketPath(dir);
    } catch (err: unknown) {
      reject(err);
      return;
    }
    const req = http.request({ socketPath: sock, method: 'GET', path: '/requests/stream', agent: false, signal }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`the stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      res.on(
        'data',
        sseFrames((frame) => {
          if (frame.startsWith(': subscribed')) onOpen();
          const data = frameData(frame);
          if (!data) return;
          try {
            onEntry(JSON.parse(data) as CapturedRequest);
          } catch {
            /* a torn frame: skipped */
          }
        }),
      );
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', (err: Error) => (signal.aborted ? resolve() : reject(err)));
    req.end();
  });
}
