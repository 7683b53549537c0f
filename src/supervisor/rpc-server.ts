// rpc.sock: HTTP/1.1 over a unix socket in the state dir, mode 0600.
// GET /state, GET /events (SSE: the state now, then every change),
// GET /logs?tail=N, POST /restart, POST /stop.

import { lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fnv1a } from '../util/hash.js';
import { RPC_SOCK } from '../state/dirs.js';
import type { StateFile } from '../state/types.js';
import { tailLines } from './output-log.js';

/** sun_path holds 108 bytes with the NUL. */
export const MAX_SOCKET_PATH = 107;

export interface RpcHandlers {
  state(): StateFile;
  subscribe(fn: (s: StateFile) => void): () => void;
  logFile: string;
  restart(): { accepted: boolean; message: string };
  stop(): void;
}

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    /* not there */
  }
}

/**
 * Where the socket is bound: rpc.sock itself, or, when that path is too long
 * for a unix socket, a short path in a private runtime dir with rpc.sock as a
 * symlink to it (clients read the link; see rpc/client.ts).
 */
function bindPath(dir: string): { bind: string; link: string | null } {
  const sock = path.join(dir, RPC_SOCK);
  if (Buffer.byteLength(sock) <= MAX_SOCKET_PATH) return { bind: sock, link: null };
  const base = process.env.XDG_RUNTIME_DIR || os.tmpdir();
  const runtime = path.join(base, `devport-${process.getuid?.() ?? 'u'}`);
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  return { bind: path.join(runtime, `${fnv1a(dir).toString(36)}.sock`), link: sock };
}

export async function startRpcServer(dir: string, h: RpcHandlers): Promise<{ close(): Promise<void> }> {
  const { bind, link } = bindPath(dir);
  const sse = new Set<http.ServerResponse>();
  const unsubscribe = h.subscribe((s) => {
    const frame = `data: ${JSON.stringify(s)}\n\n`;
    for (const res of sse) res.write(frame);
  });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://rpc');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
    };
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /state':
        return json(200, h.state());
      case 'GET /events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        res.write(`data: ${JSON.stringify(h.state())}\n\n`);
        sse.add(res);
        req.on('close', () => sse.delete(res));
        return;
      }
      case 'GET /logs': {
        const n = Math.max(0, Math.min(100_000, Number(url.searchParams.get('tail') ?? 100) || 0));
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        const lines = tailLines(h.logFile, n);
        res.end(lines.length > 0 ? lines.join('\n') + '\n' : '');
        return;
      }
      case 'POST /restart': {
        const r = h.restart();
        return json(r.accepted ? 202 : 409, { ok: r.accepted, message: r.message });
      }
      case 'POST /stop':
        json(202, { ok: true, message: 'stopping' });
        setImmediate(() => h.stop());
        return;
      default:
        return json(404, { ok: false, message: `no such endpoint: ${route}` });
    }
  });

  unlinkQuiet(bind);
  if (link) unlinkQuiet(link);
  // The socket is created 0600 from the start: no window where others could connect.
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bind, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  if (link) symlinkSync(bind, link);

  return {
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        for (const res of sse) res.end();
        server.close(() => resolve());
        server.closeAllConnections?.();
        unlinkQuiet(bind);
        if (link) {
          try {
            if (lstatSync(link).isSymbolicLink()) unlinkSync(link);
          } catch {
            /* gone */
          }
        }
      }),
  };
}
