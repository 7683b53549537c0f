// The router of a proxy node: every request goes to the longest matching
// route; a route that declines hands it to the next shorter one. Exec
// upstreams that are restarting hold the request until they are back.

import http from 'node:http';
import type net from 'node:net';
import type { PlanNode, PlanRoute } from '../plan/types.js';
import { DEFAULTS } from '../spec/defaults.js';
import type { AccessLog } from './access-log.js';
import type { Capture, CaptureRing } from './capture.js';
import { forward, forwardCb, hasBody, HOPS_HEADER, type ForwardOutcome, type Target } from './forward.js';
import { sendPage, type Page } from './pages.js';
import { compileRoutes, matchRoutes, normalizePath, splitUrl, upstreamPath, type Route } from './routes.js';
import { serveFile } from './static.js';
import type { Upstream, Upstreams } from './upstreams.js';

/** Past this many devport proxies, a request is looping (a route that points at its own proxy). */
export const MAX_HOPS = 5;

export interface RouterOptions {
  node: PlanNode;
  upstreams: Upstreams;
  log: AccessLog;
  /** The last lines of a service's output: shown on the 502 page only to `authorized` requests. */
  outputTail?: (key: string) => string;
  /**
   * Whether this request may see a service's output. output.log is private (0600) and a proxy on
   * 0.0.0.0 answers the LAN, so nobody may until there is a dashboard token to check.
   */
  authorized?: (req: http.IncomingMessage) => boolean;
  /** The request inspector's ring; none when capture is off. */
  capture?: CaptureRing | undefined;
}

function hopsOf(req: http.IncomingMessage): number {
  const v = req.headers[HOPS_HEADER];
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

// Client gone while we hold the request: stop holding. Made only when a request is held:
// an AbortController per request cost a sixth of the proxy's CPU (bench/proxy).
const goneControllers = new WeakMap<http.ServerResponse, AbortController>();

/** Aborts once the client's response is closed (the client went away, or we are done). */
function clientGone(res: http.ServerResponse): AbortSignal {
  let ctl = goneControllers.get(res);
  if (!ctl) {
    const c = new AbortController();
    ctl = c;
    goneControllers.set(res, c);
    if (res.destroyed || res.writableFinished) c.abort();
    else res.once('close', () => c.abort());
  }
  return ctl.signal;
}

/** What forwardExec needs besides the route and upstream. */
interface ExecForward {
  path: string;
  declineOn404: boolean;
  replayable: boolean;
  hops: number;
  cap: Capture | undefined;
}

/** The header block Node wrote for this response (parsed only when somebody reads the capture). */
const headBlock = (res: http.ServerResponse): string | null => (res.headersSent ? ((res as unknown as { _header: string | null })._header ?? null) : null);

/** Ends a capture the way the access log ends its line: 499 is a client that left. */
function finishCapture(cap: Capture, res: http.ServerResponse, route: Route | undefined, status: number): void {
  const prefix = route?.spec.prefix ?? null;
  if (status === 499) return cap.finish(prefix, res.headersSent ? res.statusCode : null, headBlock(res), 'client went away');
  // A 502 the upstream did not send (it never answered): the proxy's own page.
  cap.finish(prefix, status, headBlock(res), status === 502 && cap.waitMs === null ? 'upstream unreachable' : null);
}

/** The upstream as captures record it: one shared object per generation (nothing allocated per request). */
function upstreamOf(u: Upstream): { key: string; generation: number | null } {
  const generation = u.state?.generation ?? null;
  if (u.captured?.generation !== generation) u.captured = { key: u.key, generation };
  return u.captured;
}

function httpTarget(spec: Extract<PlanRoute, { type: 'http' }>, rest: string): Target {
  const u = new URL(spec.url);
  const base = u.pathname.replace(/\/+$/, '');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 80),
    path: base + rest,
    changeOrigin: spec.changeOrigin,
  };
}

type WsProxy = import('http-proxy-3').ProxyServer;

export class Router {
  readonly server: http.Server;
  readonly #routes: Route[];
  readonly #sockets = new Set<net.Socket>();
  /** http-proxy-3 carries WebSockets only: loaded at the first upgrade (~4 MB a proxy without one never pays). */
  #ws: Promise<WsProxy> | undefined;
  /** Per upgrade in flight: records the status (and headers) the upstream answered its handshake with. */
  readonly #wsStatus = new WeakMap<http.IncomingMessage, (status: number, raw: string[]) => void>();
  #port = 0;

  constructor(private readonly opts: RouterOptions) {
    this.#routes = compileRoutes(opts.node.proxy?.routes ?? []);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void this.upgrade(req, socket, head));
    this.server.on('connection', (s: net.Socket) => {
      s.setNoDelay(true);
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
    // Long uploads and long-lived responses (SSE, long polls) are not cut short.
    this.server.requestTimeout = 0;
    this.server.keepAliveTimeout = 30_000;
  }

  private wsProxy(): Promise<WsProxy> {
    return (this.#ws ??= import('http-proxy-3').then(({ createProxyServer }): WsProxy => {
      const ws: WsProxy = createProxyServer({ ws: true, xfwd: true });
      ws.on('error', () => {});
      // 'upgrade' is the upstream's 101; 'response' is any other answer, relayed to the client as it is.
      ws.on('proxyReqWs', (proxyReq, req) => {
        const note = this.#wsStatus.get(req);
        if (!note) return;
        proxyReq.once('upgrade', (r: http.IncomingMessage) => note(101, r.rawHeaders));
        proxyReq.once('response', (r: http.IncomingMessage) => note(r.statusCode ?? 502, r.rawHeaders));
      });
      return ws;
    }));
  }

  listen(host: string, port: number): Promise<void> {
    this.#port = port;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        if (typeof addr === 'object' && addr) this.#port = addr.port;
        resolve();
      });
    });
  }

  /** Stops accepting; idle connections close now, busy ones (SSE, WebSockets) after `graceMs`. */
  close(graceMs = 500): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => {
        for (const s of this.#sockets) s.destroy();
      }, graceMs).unref();
    });
  }

  private get holdTimeoutMs(): number {
    return this.opts.node.proxy?.holdTimeoutMs ?? DEFAULTS.holdTimeoutMs;
  }

  private upstreamPage(req: http.IncomingMessage, route: Route, u: Upstream | undefined, detail: string): Page {
    const s = u?.state;
    const state = s ? `${s.state}${s.reason ? ` (${s.reason})` : ''}${s.health && !s.health.ok ? ` — ${s.health.detail}` : ''}` : 'no state yet';
    return {
      status: 502,
      title: 'Bad Gateway',
      lines: [
        `Route ${route.spec.prefix} (${route.label}) could not reach its upstream: ${detail}.`,
        u ? `Upstream: ${u.key} on ${u.host}:${u.port ?? '?'}, state: ${state}.` : '',
        u ? `devport logs ${u.key} shows its output; devport restart ${u.key} restarts it.` : '',
      ].filter(Boolean),
      ...(u ? this.outputFor(req, u.key) : {}),
    };
  }

  /** The output tail for the 502 page, only for a request allowed to read it (none, for now). */
  private outputFor(req: http.IncomingMessage, key: string): { pre?: string } {
    const tail = this.opts.outputTail;
    return tail && this.opts.authorized?.(req) === true ? { pre: tail(key) } : {};
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const cap = this.opts.capture?.begin('http', method, url, req.rawHeaders);
    const done = (route: Route | undefined, status: number) => {
      this.opts.log.line(method, url, route?.label ?? '-', status, performance.now() - t0);
      if (cap) finishCapture(cap, res, route, status);
    };
    const hops = hopsOf(req) + 1;
    if (hops > MAX_HOPS) {
      sendPage(req, res, {
        status: 508,
        title: 'Loop Detected',
        lines: [`This request passed through devport proxies ${hops} times: a route points back at its own proxy.`, 'Check the url of the http routes in devport.toml.'],
      });
      return done(undefined, 508);
    }
    const [rawPath, query] = splitUrl(url);
    const path = normalizePath(rawPath);
    if (path === null) {
      sendPage(req, res, { status: 400, title: 'Bad Request', lines: ['A path segment hides a ".." behind an encoded slash (%2F, %5C), a backslash or a ";": refused, so it cannot leave its route.'] });
      return done(undefined, 400);
    }
    // Static routes (serve-static's redirects) read req.url: give them the resolved path.
    if (path !== rawPath) req.url = path + query;
    const candidates = matchRoutes(this.#routes, path);
    const replayable = (method === 'GET' || method === 'HEAD') && !hasBody(req);
    // The hot path: an exec upstream that is up, nothing to fall through to. No promises, no awaits.
    const first = candidates[0];
    if (first?.spec.type === 'exec' && !(first.spec.fallthrough && candidates.length > 1)) {
      const u = this.opts.upstreams.get(first.spec.key);
      if (u && u.port !== null && this.opts.upstreams.verdict(u) === 'forward') {
        const spec = first.spec;
        if (cap) cap.upstream = upstreamOf(u);
        forwardCb(req, res, { host: u.host, port: u.port, path: upstreamPath(first, path, query), changeOrigin: spec.changeOrigin }, { hops, port: this.#port }, false, (o) => {
          if (o.kind === 'responded') done(first, o.status);
          else if (o.kind === 'aborted') done(first, 499);
          // Unreachable (a crash since its last state): the careful path holds and retries.
          else void this.forwardExec(req, res, first, u, { path: upstreamPath(first, path, query), declineOn404: false, replayable, hops, cap }).then((st) => done(first, st === 'declined' ? 404 : st));
        }, cap);
        return;
      }
    }
    for (let i = 0; i < candidates.length; i++) {
      const route = candidates[i] as Route;
      const last = i === candidates.length - 1;
      const spec = route.spec;
      switch (spec.type) {
        case 'static': {
          const rel = (path.slice(route.base.length) || '/') + query;
          const o = await serveFile(req, res, spec.root, rel, spec.spa);
          if (o === 'served') return done(route, res.statusCode);
          if (o === 'forbidden') {
            sendPage(req, res, { status: 403, title: 'Forbidden', lines: ['That path leaves the directory this route serves.'] });
            return done(route, 403);
          }
          continue;
        }
        case 'exec': {
          const u = this.opts.upstreams.get(spec.key);
          if (!u || u.port === null) {
            sendPage(req, res, this.upstreamPage(req, route, u, 'it has no port'));
            return done(route, 502);
          }
          const o = await this.forwardExec(req, res, route, u, { path: upstreamPath(route, path, query), declineOn404: spec.fallthrough && !last && replayable, replayable, hops, cap });
          if (o === 'declined') continue;
          return done(route, o);
        }
        case 'http': {
          let target: Target;
          try {
            target = httpTarget(spec, upstreamPath(route, path, query));
          } catch {
            sendPage(req, res, this.upstreamPage(req, route, undefined, `invalid url ${spec.url}`));
            return done(route, 502);
          }
          const o = await forward(req, res, target, { hops, port: this.#port }, { declineOn404: spec.fallthrough && !last && replayable, cap });
          if (o.kind === 'declined') continue;
          if (o.kind === 'unreachable') {
            sendPage(req, res, this.upstreamPage(req, route, undefined, `${spec.url}: ${o.code}`));
            return done(route, 502);
          }
          return done(route, o.kind === 'responded' ? o.status : 499);
        }
        default: {
          const never: never = spec;
          return never;
        }
      }
    }
    sendPage(req, res, {
      status: 404,
      title: 'Not Found',
      lines: [
        candidates.length > 0 ? `No route had ${path}.` : `No route for ${path}.`,
        `Routes: ${this.#routes.map((r) => `${r.spec.prefix} (${r.label})`).join(', ') || 'none'}.`,
      ],
    });
    done(undefined, 404);
  }

  /** Forwards to an exec upstream, holding while it restarts; returns the status sent, or 'declined'. */
  private async forwardExec(req: http.IncomingMessage, res: http.ServerResponse, route: Route, u: Upstream, o: ExecForward): Promise<number | 'declined'> {
    const ups = this.opts.upstreams;
    // clientGone() only where a request is held: it costs an AbortController.
    if (ups.verdict(u) !== 'forward' && !(await ups.whenReady(u, this.holdTimeoutMs, clientGone(res)))) {
      if (clientGone(res).aborted) return 499;
      const detail = ups.verdict(u) === 'wait' ? `not back within ${this.holdTimeoutMs} ms` : 'it is not running';
      sendPage(req, res, this.upstreamPage(req, route, u, detail));
      return 502;
    }
    const deadline = Date.now() + this.holdTimeoutMs;
    for (;;) {
      const result = await this.attemptExec(req, res, route, u, o);
      if (result.kind === 'responded') return result.status;
      if (result.kind === 'declined') return 'declined';
      if (result.kind === 'aborted') return 499;
      // It went away between its last state and now (a crash, a restart): hold and try again.
      ups.refresh(u);
      if (o.replayable && Date.now() < deadline && (await ups.whenReady(u, deadline - Date.now(), clientGone(res))) && !clientGone(res).aborted) {
        await new Promise((r) => setTimeout(r, 20));
        if (clientGone(res).aborted) return 499;
        continue;
      }
      if (clientGone(res).aborted) return 499;
      sendPage(req, res, this.upstreamPage(req, route, u, result.code === 'ECONNREFUSED' ? 'connection refused' : result.code));
      return 502;
    }
  }

  /**
   * One try at the upstream's learned host and, when 127.0.0.1 refuses, one at ::1 (a dev server
   * may listen on ::1 only: Vite's "localhost" on some systems).
   */
  private async attemptExec(req: http.IncomingMessage, res: http.ServerResponse, route: Route, u: Upstream, o: ExecForward): Promise<ForwardOutcome> {
    const spec = route.spec as Extract<PlanRoute, { type: 'exec' }>;
    const ctx = { hops: o.hops, port: this.#port };
    // A local copy: u is shared by every request to this upstream, across the awaits below.
    const target: Target = { host: u.host, port: u.port ?? 0, path: o.path, changeOrigin: spec.changeOrigin };
    if (o.cap) o.cap.upstream = upstreamOf(u);
    const first = await forward(req, res, target, ctx, o);
    if (first.kind !== 'unreachable' || first.code !== 'ECONNREFUSED' || target.host !== '127.0.0.1' || !o.replayable) return first;
    const again = await forward(req, res, { ...target, host: '::1' }, ctx, o);
    if (again.kind === 'unreachable') return first;
    // Learned only once ::1 has answered; meanwhile other requests still go to 127.0.0.1.
    if (again.kind !== 'aborted') u.host = '::1';
    return again;
  }

  /** Holds an upgrade until its exec upstream can take it: false when it will not, 'gone' when the client hung up. */
  private async holdUpgrade(u: Upstream, socket: net.Socket): Promise<boolean | 'gone'> {
    const ups = this.opts.upstreams;
    if (ups.verdict(u) === 'forward') return true;
    if (socket.destroyed) return 'gone';
    const ctl = new AbortController();
    // An upgraded socket is half-open capable: a client hanging up shows as 'end' (it never
    // half-closes before its 101), a reset as 'close'.
    const hangUp = () => ctl.abort();
    socket.once('end', hangUp).once('close', hangUp);
    try {
      const ready = await ups.whenReady(u, this.holdTimeoutMs, ctl.signal);
      return ctl.signal.aborted ? 'gone' : ready;
    } finally {
      socket.off('end', hangUp).off('close', hangUp);
    }
  }

  /** WebSocket upgrades: through http-proxy-3, with the subprotocol and both directions intact. */
  private async upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const fail = (status: number, text: string) => {
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      else socket.destroy();
    };
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const cap = this.opts.capture?.begin('websocket', req.method ?? 'GET', url, req.rawHeaders);
    let capRoute: Route | undefined;
    const refuse = (status: number, text: string) => {
      fail(status, text);
      cap?.finish(capRoute?.spec.prefix ?? null, status, `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n`, status === 502 ? 'upstream unreachable' : null);
    };
    const hops = hopsOf(req) + 1;
    if (hops > MAX_HOPS) return refuse(508, 'Loop Detected');
    const [rawPath, query] = splitUrl(url);
    const path = normalizePath(rawPath);
    if (path === null) return refuse(400, 'Bad Request');
    const route = matchRoutes(this.#routes, path).find((r) => r.spec.type !== 'static');
    if (!route) return refuse(404, 'Not Found');
    capRoute = route;
    const t0 = performance.now();
    const log = (status: number) => this.opts.log.line('WS', url, route.label, status, performance.now() - t0);
    let target: Target;
    if (route.spec.type === 'exec') {
      const u = this.opts.upstreams.get(route.spec.key);
      if (!u || u.port === null) return refuse(502, 'Bad Gateway');
      const ready = await this.holdUpgrade(u, socket);
      if (ready === 'gone') {
        socket.destroy();
        cap?.finish(route.spec.prefix, null, null, 'client went away');
        return log(499);
      }
      if (!ready) {
        refuse(502, 'Bad Gateway');
        return log(502);
      }
      if (cap) cap.upstream = upstreamOf(u);
      target = { host: u.host, port: u.port, path: upstreamPath(route, path, query), changeOrigin: route.spec.changeOrigin };
    } else if (route.spec.type === 'http') {
      target = httpTarget(route.spec, upstreamPath(route, path, query));
    } else return refuse(404, 'Not Found');
    // What the upstream answered the handshake with (see 'proxyReqWs'); none yet when the client leaves first.
    let status: number | undefined;
    this.#wsStatus.set(req, (s, raw) => {
      status = s;
      if (!cap) return;
      cap.resRaw = raw;
      cap.responseStarted(s, false);
      // An open WebSocket is news now, not when it closes.
      if (s === 101) cap.ring.changed(cap);
    });
    socket.once('close', () => {
      log(status ?? 499);
      cap?.finish(route.spec.prefix, status ?? null, null, status === undefined ? 'client went away' : status === 502 && cap.resRaw === null ? 'upstream unreachable' : null);
    });
    req.url = target.path;
    req.headers[HOPS_HEADER] = String(hops);
    req.headers['x-forwarded-host'] = req.headers.host ?? '';
    const ws = await this.wsProxy();
    ws.ws(
      req,
      socket,
      head,
      { target: `http://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`, changeOrigin: target.changeOrigin },
      () => {
        // Unreachable, or broken off before answering. After an answer the client already has
        // its status line: writing a 502 into that stream would corrupt it.
        if (status !== undefined) return;
        status = 502;
        fail(502, 'Bad Gateway');
      },
    );
  }
}
