// The Docker Engine API over its unix socket, for what a compose sidecar asks
// again and again (its containers, their state, the event stream). A docker CLI
// call costs a process start (~55 ms of wall and CPU here); a request on the
// socket costs ~1 ms. Only where the engine is a unix socket: for tcp://, ssh://
// or a docker context the CLI knows the way, and it is used instead.

import http from 'node:http';
import { dockerEndpoint } from './engine.js';

/** The socket to ask, or null when only the docker CLI can reach the engine. */
export function engineSocket(env: Record<string, string | undefined>): string | null {
  const e = dockerEndpoint(env);
  return e?.startsWith('unix://') ? e.slice('unix://'.length) : null;
}

export type ApiAnswer = { ok: true; status: number; body: unknown } | { ok: false; reason: string };

/** GET a JSON document. */
export function getJson(socket: string, path: string, timeoutMs = 15_000): Promise<ApiAnswer> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path, timeout: timeoutMs, headers: { host: 'docker' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', (e) => resolve({ ok: false, reason: e.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ ok: true, status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
        } catch {
          resolve({ ok: false, reason: `HTTP ${res.statusCode ?? '?'} from ${path.split('?')[0] ?? path}: ${text.trim().slice(0, 200)}` });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, reason: `the Docker socket ${socket}: ${e.code ?? e.message}` }));
  });
}

/** The engine's message on an error answer ({"message": "..."}), or the status. */
export function apiError(a: ApiAnswer & { ok: true }): string {
  const m = (a.body as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : `HTTP ${a.status}`;
}

/** A query string's `filters` parameter, as the engine takes it. */
export function filters(f: Record<string, string[]>): string {
  return encodeURIComponent(JSON.stringify(f));
}

/**
 * GET /events: one JSON object per line, for as long as the engine streams. `onAction` gets each
 * event's Action; `onEnd` once, when the stream ends or cannot start.
 */
export function streamEvents(socket: string, query: Record<string, string[]>, onAction: (action: string) => void, onEnd: () => void): { close(): void; readonly live: boolean } {
  let live = false;
  let ended = false;
  const end = () => {
    live = false;
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  const req = http.get({ socketPath: socket, path: `/events?filters=${filters(query)}`, headers: { host: 'docker' }, agent: false }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      return end();
    }
    live = true;
    let partial = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      const text = partial + d;
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        try {
          const action = (JSON.parse(l) as { Action?: unknown }).Action;
          if (typeof action === 'string') onAction(action);
        } catch {
          /* not an event */
        }
      }
    });
    res.on('close', end);
    res.on('error', end);
  });
  req.on('error', end);
  return {
    close: () => {
      ended = true;
      live = false;
      req.destroy();
    },
    get live() {
      return live;
    },
  };
}
