// The request inspector's data comes from the proxy's sidecar (its capture
// ring, src/proxy/capture-types.ts): the dashboard passes /api/requests… through
// to that sidecar's rpc.sock unchanged, SSE included (piped, never buffered).

import http from 'node:http';
import path from 'node:path';
import { socketPath } from '../rpc/client.js';
import { inventory } from '../state/inventory.js';

/** The proxy sidecar to ask: `?proxy=<key>`, else the first live proxy. */
export function proxyDir(stateDir: string, wanted: string | null): string | undefined {
  const proxies = inventory(stateDir).filter((e) => e.alive && e.state?.state.type === 'proxy');
  const hit = wanted ? proxies.find((e) => e.key === wanted) : proxies[0];
  return hit ? path.join(stateDir, hit.key) : undefined;
}

/** Sends `method rpcPath` (with `body`) to the proxy sidecar and pipes its answer to `res`. */
export function passThrough(dir: string, method: 'GET' | 'POST', rpcPath: string, body: Buffer | null, res: http.ServerResponse, signal: AbortSignal): void {
  let sock: string;
  try {
    sock = socketPath(dir);
  } catch (err: unknown) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, message: (err as Error).message }));
    return;
  }
  const headers: http.OutgoingHttpHeaders = body ? { 'content-type': 'application/json', 'content-length': body.length } : {};
  const req = http.request({ socketPath: sock, method, path: rpcPath, headers, agent: false, signal }, (up) => {
    const type = up.headers['content-type'] ?? 'application/json';
    res.writeHead(up.statusCode ?? 502, { 'content-type': type, 'cache-control': 'no-store' });
    if (String(type).startsWith('text/event-stream')) res.flushHeaders();
    up.pipe(res);
  });
  req.on('error', (err: Error) => {
    if (signal.aborted) return;
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, message: `the proxy's sidecar does not answer: ${err.message}` }));
  });
  req.end(body ?? undefined);
}

/** GETs a JSON document from the proxy sidecar. */
export function rpcJson<T>(dir: string, rpcPath: string): Promise<{ status: number; value: T | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socketPath(dir), method: 'GET', path: rpcPath, agent: false, timeout: 10_000 }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (d: Buffer) => chunks.push(d));
      up.on('end', () => {
        try {
          resolve({ status: up.statusCode ?? 0, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T });
        } catch {
          resolve({ status: up.statusCode ?? 0, value: undefined });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}
