// The request inspector's endpoints on a proxy sidecar's rpc.sock (the list is
// in capture-types.ts). Bodies are left out of lists and the stream (sizes
// kept, text null) unless `bodies=1`: a ring of 500 can hold 32 MiB of them.

import type http from 'node:http';
import type { CaptureRing } from './capture.js';
import type { ReplayRequest } from './capture-types.js';
import { parseReplay, replay } from './replay.js';

/** Largest ReplayRequest accepted (a body edited in the dashboard is JSON-escaped in it). */
const MAX_REPLAY_BYTES = 4 * 1024 * 1024;
/** Unsent stream bytes past which a subscriber is dropped. */
const MAX_STREAM_BACKLOG = 8 * 1024 * 1024;

export interface CaptureRpcContext {
  ring: CaptureRing | undefined;
  /** Where the proxy listens now; undefined while it is not listening. */
  target: () => { host: string; port: number } | undefined;
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
};

const OFF = { ok: false, code: 'CAPTURE_OFF', message: 'this proxy keeps no requests (capture = false in devport.toml)' };

function intParam(url: URL, name: string): number | undefined | null {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  return /^\d{1,9}$/.test(v) ? Number(v) : null;
}

/** Answers /requests… on rpc.sock; false for any other path (the sidecar's own endpoints). */
export function captureRpc(ctx: CaptureRpcContext, req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
  const p = url.pathname;
  if (p !== '/requests' && !p.startsWith('/requests/')) return false;
  const ring = ctx.ring;
  const m = /^\/requests\/(\d{1,15})(\/replay)?$/.exec(p);
  if (req.method === 'GET' && p === '/requests') {
    if (!ring) return (json(res, 409, OFF), true);
    const after = intParam(url, 'after');
    const limit = intParam(url, 'limit');
    if (after === null || limit === null) return (json(res, 400, { ok: false, message: 'after and limit are whole numbers' }), true);
    const bodies = url.searchParams.get('bodies') === '1';
    const list = ring.list(after, Math.min(limit ?? ring.limit, ring.limit));
    json(res, 200, { requests: list.map((c) => ring.toJSON(c, bodies)), last_id: ring.lastId, limit: ring.limit });
    return true;
  }
  if (req.method === 'GET' && p === '/requests/stream') {
    if (!ring) return (json(res, 409, OFF), true);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // A comment first: the client knows it is subscribed (nothing new can slip by after this).
    res.write(': subscribed\n\n');
    const off = ring.subscribe((c) => {
      // A reader that does not keep up is let go (it can page with ?after=): the proxy does not buffer for it.
      if (res.writableLength > MAX_STREAM_BACKLOG) {
        off();
        res.destroy();
        return;
      }
      res.write(`data: ${JSON.stringify(c)}\n\n`);
    });
    req.on('close', off);
    return true;
  }
  if (req.method === 'GET' && m && !m[2]) {
    if (!ring) return (json(res, 409, OFF), true);
    const c = ring.get(Number(m[1]));
    if (!c) json(res, 404, { ok: false, message: `request ${m[1]} is not (or no longer) in the ring of the last ${ring.limit}` });
    else json(res, 200, ring.toJSON(c, true));
    return true;
  }
  if (req.method === 'POST' && m && m[2]) {
    void replayFrom(ctx, Number(m[1]), req, res);
    return true;
  }
  json(res, 404, { ok: false, message: `no such endpoint: ${req.method} ${p}` });
  return true;
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    n += (chunk as Buffer).length;
    if (n > MAX_REPLAY_BYTES) return undefined;
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A ReplayRequest with what it leaves out taken from the captured request (`{}` replays it as it was). */
function withDefaults(ring: CaptureRing | undefined, id: number, text: string): ReplayRequest | { status: number; message: string } {
  let given: Record<string, unknown>;
  try {
    given = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    return { status: 400, message: 'the body is not JSON' };
  }
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return { status: 400, message: 'the body must be a JSON object (ReplayRequest)' };
  const needsOriginal = !('method' in given && 'url' in given && 'headers' in given && 'body' in given);
  const c = ring?.get(id);
  if (needsOriginal && ring && c) {
    const orig = ring.toJSON(c, true);
    const b = orig.request_body;
    if (!('body' in given) && b && (b.truncated || b.encoding !== 'utf8' || b.text === null)) {
      return { status: 409, message: `request ${id}'s body was not kept whole as text (${b.truncated ? 'truncated' : b.text === null ? 'dropped' : 'binary'}): send the body to replay it` };
    }
    given = { method: orig.method, url: orig.url, headers: orig.request_headers, body: b?.text ?? null, ...given };
  } else if (needsOriginal) {
    return { status: 404, message: `request ${id} is not (or no longer) in the ring: send method, url, headers and body` };
  }
  const r = parseReplay(JSON.stringify(given));
  return typeof r === 'string' ? { status: 400, message: r } : r;
}

async function replayFrom(ctx: CaptureRpcContext, id: number, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const text = await readBody(req);
  if (text === undefined) return json(res, 413, { ok: false, message: `a replay request is at most ${MAX_REPLAY_BYTES} bytes` });
  const r = withDefaults(ctx.ring, id, text);
  if ('status' in r) return json(res, r.status, { ok: false, message: r.message });
  const target = ctx.target();
  if (!target) return json(res, 503, { ok: false, message: 'the proxy is not listening (it is restarting or stopped)' });
  try {
    json(res, 200, await replay(ctx.ring, target, r));
  } catch (err: unknown) {
    json(res, 502, { ok: false, message: `the replay got no answer: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
  }
}
