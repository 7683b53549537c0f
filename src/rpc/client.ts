// Talking to a sidecar over its rpc.sock. The socket must be a socket owned by
// this user: a link planted in .devport/, or a socket another user put where
// ours should be, is refused before anything is sent.

import { lstatSync, readlinkSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { RPC_SOCK } from '../state/dirs.js';
import type { StateFile } from '../state/types.js';
import { frameData, sseFrames } from './sse.js';

export class RpcRefused extends Error {}

/** rpc.sock, or the short path it links to when the real path is too long for a unix socket. */
export function socketPath(dir: string): string {
  const p = path.join(dir, RPC_SOCK);
  let target = p;
  try {
    if (lstatSync(p).isSymbolicLink()) target = path.resolve(dir, readlinkSync(p));
  } catch {
    return p; // not there: the request will say so
  }
  const st = statSync(target, { throwIfNoEntry: false });
  const uid = process.getuid?.();
  if (st && (!st.isSocket() || (uid !== undefined && st.uid !== uid))) {
    throw new RpcRefused(`${p} is not a socket of yours (owner uid ${st.uid}${st.isSocket() ? '' : ', not a socket'}): not talking to it`);
  }
  return target;
}

export interface RpcResponse {
  status: number;
  body: string;
}

/** The socket to talk to, or undefined once `reject` got why not. */
function checkedSocket(dir: string, reject: (err: unknown) => void): string | undefined {
  try {
    return socketPath(dir);
  } catch (err: unknown) {
    reject(err);
    return undefined;
  }
}

export function rpcRequest(dir: string, method: 'GET' | 'POST', urlPath: string, timeoutMs = 5000): Promise<RpcResponse> {
  return new Promise((resolve, reject) => {
    const sock = checkedSocket(dir, reject);
    if (sock === undefined) return;
    const req = http.request({ socketPath: sock, method, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${dir} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Calls `onState` with the state now and after every change, until `signal` aborts or the sidecar goes away. */
export function rpcEvents(dir: string, onState: (s: StateFile) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = checkedSocket(dir, reject);
    if (sock === undefined) return;
    const req = http.request({ socketPath: sock, method: 'GET', path: '/events', agent: false, signal }, (res) => {
      res.setEncoding('utf8');
      res.on(
        'data',
        sseFrames((frame) => {
          const data = frameData(frame);
          if (!data) return;
          let state: StateFile;
          try {
            state = JSON.parse(data) as StateFile;
          } catch {
            return; // a torn frame: the next one carries the whole state again
          }
          onState(state);
        }),
      );
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', (err: Error) => (signal.aborted ? resolve() : reject(err)));
    req.end();
  });
}
