// /api/*: the stack's state (snapshot and stream), actions, logs, and the
// proxy's captured requests. Every answer is JSON or SSE.

import type http from 'node:http';
import path from 'node:path';
import { listServiceDirs } from '../state/dirs.js';
import { downWholeStack, restartStack, serviceAction, type ActionContext, type ServiceAction } from './actions.js';
import { toHar } from '../proxy/har.js';
import { VERSION } from '../version.js';
import { LogFollower } from './logs.js';
import { passThrough, proxyDir, rpcJson } from './requests.js';
import { snapshot, type PlanCache } from './snapshot.js';
import type { StackWatcher } from './stream.js';
import type { StreamFrame } from './types.js';
import type { ListResponse } from '../proxy/capture-types.js';

export interface ApiContext {
  stateDir: string;
  self: string | null;
  plans: PlanCache;
  watcher: StackWatcher;
  open: Set<http.ServerResponse>;
  port: () => number;
  say: (message: string) => void;
  onStackDown?: () => void;
}

/** Request bodies are small JSON documents (a replay's edited request). */
const MAX_BODY = 1024 * 1024;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}

function sse(req: http.IncomingMessage, res: http.ServerResponse, onClose: () => void): (data: unknown) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive' });
  res.flushHeaders();
  // A comment now and then: proxies and browsers keep an idle stream open.
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  keepAlive.unref();
  req.on('close', () => {
    clearInterval(keepAlive);
    onClose();
  });
  return (data) => res.write(`data: ${JSON.stringify(data)}\n\n`);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

function actionContext(ctx: ApiContext): ActionContext {
  return { stateDir: ctx.stateDir, self: ctx.self, say: ctx.say, specFile: () => ctx.plans.get()?.spec ?? null };
}

export async function handleApi(ctx: ApiContext, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const p = url.pathname;
  const get = req.method === 'GET';
  const post = req.method === 'POST';

  if (get && p === '/api/state') return json(res, 200, snapshot(ctx.stateDir, ctx.plans, ctx.self));

  if (get && p === '/api/stream') {
    // Subscribed before the snapshot is read: a change in between is sent after it, never lost.
    const queued: StreamFrame[] = [];
    let send: ((f: StreamFrame) => void) | undefined;
    const unsubscribe = ctx.watcher.subscribe((f) => (send ? send(f) : queued.push(f)));
    const write = sse(req, res, () => unsubscribe());
    write({ kind: 'snapshot', snapshot: snapshot(ctx.stateDir, ctx.plans, ctx.self) } satisfies StreamFrame);
    send = write;
    for (const f of queued) write(f);
    return;
  }

  let m = /^\/api\/services\/([^/]+)\/(restart|stop|start)$/.exec(p);
  if (post && m) {
    const r = await serviceAction(actionContext(ctx), decodeURIComponent(m[1] ?? ''), m[2] as ServiceAction);
    return json(res, r.status, r.result);
  }
  if (post && p === '/api/stack/restart') {
    const r = await restartStack(actionContext(ctx));
    return json(res, r.status, r.result);
  }
  if (post && p === '/api/stack/down') {
    const r = await downWholeStack(actionContext(ctx), ctx.onStackDown);
    return json(res, r.status, r.result);
  }

  m = /^\/api\/logs(?:\/([^/]+))?$/.exec(p);
  if (get && m) {
    const all = listServiceDirs(ctx.stateDir);
    const wanted = m[1] ? [decodeURIComponent(m[1])] : (url.searchParams.get('keys')?.split(',').filter(Boolean) ?? all);
    const keys = wanted.filter((k) => all.includes(k));
    if (keys.length === 0) return json(res, 404, { ok: false, message: `no such service: ${wanted.join(', ')}` });
    const followers: LogFollower[] = [];
    const write = sse(req, res, () => followers.forEach((f) => f.close()));
    for (const key of keys) {
      const f = new LogFollower(path.join(ctx.stateDir, key), key, write);
      followers.push(f);
      f.start();
    }
    return;
  }

  if (p === '/api/requests' || p.startsWith('/api/requests/') || p === '/api/requests.har') {
    const dir = proxyDir(ctx.stateDir, url.searchParams.get('proxy'));
    if (!dir) return json(res, 404, { ok: false, message: 'no proxy of this stack is running: the request inspector reads its captured requests' });
    const ctl = new AbortController();
    res.on('close', () => ctl.abort());
    const query = new URLSearchParams(url.searchParams);
    query.delete('proxy');
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    if (get && p === '/api/requests.har') {
      // The whole ring with bodies, in one answer.
      const list = await rpcJson<ListResponse>(dir, '/requests?bodies=1');
      const full = list.value?.requests ?? [];
      res.writeHead(200, { 'content-type': 'application/json', 'content-disposition': `attachment; filename="${path.basename(dir)}.har"` });
      res.end(JSON.stringify(toHar(full, { secrets: url.searchParams.get('secrets') === '1', creator: { name: 'devport dashboard', version: VERSION } }), null, 2));
      return;
    }
    const rest = p.slice('/api'.length);
    if (get && (rest === '/requests' || rest === '/requests/stream' || /^\/requests\/\d+$/.test(rest))) return passThrough(dir, 'GET', `${rest}${qs}`, null, res, ctl.signal);
    if (post && /^\/requests\/\d+\/replay$/.test(rest)) {
      const body = await readBody(req);
      if (!body) return json(res, 413, { ok: false, message: 'the replay request is too large' });
      return passThrough(dir, 'POST', rest, body, res, ctl.signal);
    }
  }
  return json(res, 404, { ok: false, message: `no such endpoint: ${req.method} ${p}` });
}
