// rpc.sock: HTTP/1.1 over a unix socket in the state dir, mode 0600.
// GET /state, GET /events (SSE: the state now, then every change),
// GET /logs?tail=N, POST /restart, POST /stop.

import { chmodSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { nodeHttp } from '../util/builtin.js';
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
  /** Where the current run's output begins in logFile. */
  logStart: () => number;
  restart(): { accepted: boolean; message: string };
  stop(): void;
  /** Endpoints of one kind of service (the proxy's captured requests): true when it answered. */
  extra?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
}

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    /* not there */
  }
}

/**
 * The private directory for sockets whose real path is too long: like tmux and
 * ssh-agent, it must be ours and 0700, or it is refused (another user who made
 * it first could replace the socket). $XDG_RUNTIME_DIR first: it is per-user.
 */
export function runtimeDir(): string {
  const uid = process.getuid?.() ?? 0;
  const base = process.env.XDG_RUNTIME_DIR || os.tmpdir();
  const dir = path.join(base, `devport-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private directory of uid ${uid} (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}${st.isSymbolicLink() ? ', a symlink' : ''}): refusing to put rpc.sock there; remove it`);
  }
  return dir;
}

/**
 * Where the socket is bound: rpc.sock itself, or, when that path is too long
 * for a unix socket, a short path in the private runtime dir with rpc.sock as
 * a symlink to it (clients read the link; see rpc/client.ts).
 */
function bindPath(dir: string): { bind: string; link: string | null } {
  const sock = path.join(dir, RPC_SOCK);
  if (Buffer.byteLength(sock) <= MAX_SOCKET_PATH) return { bind: sock, link: null };
  return { bind: path.join(runtimeDir(), `${fnv1a(dir).toString(36)}.sock`), link: sock };
}

export async function startRpcServer(dir: string, h: RpcHandlers): Promise<{ close(): Promise<void> }> {
  const { bind, link } = bindPath(dir);
  const sse = new Set<ServerResponse>();
  const unsubscribe = h.subscribe((s) => {
    const frame = `data: ${JSON.stringify(s)}\n\n`;
    for (const res of sse) res.write(frame);
  });

  // node:http loads here, once the child is spawned: nothing else in a sidecar needs it.
  const server = nodeHttp().createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://rpc');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
    };
    const route = `${req.method} ${url.pathname}`;
    if (h.extra?.(req, res, url)) return;
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
        const lines = tailLines(h.logFile, n, url.searchParams.get('all') === '1' ? {} : { since: h.logStart() });
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
  // Created 0600 with no window where others could connect: the umask is process-wide, so it
  // is narrowed only around the bind, which listen() does synchronously for a path (builds and
  // children spawned meanwhile would inherit it); the directory around it is private anyway.
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve());
  });
  const oldMask = process.umask(0o177);
  try {
    server.listen(bind);
  } finally {
    process.umask(oldMask);
  }
  await listening;
  chmodSync(bind, 0o600);
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
