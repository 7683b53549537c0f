// The router of a proxy node: every request goes to the longest matching
// route; a route that declines hands it to the next shorter one. Exec
// upstreams that are restarting hold the request until they are back.

import http from 'node:http';
import type net from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import type { PlanNode, PlanRoute } from '../plan/types.js';
import type { AccessLog } from './access-log.js';
import { forward, forwardCb, hasBody, HOPS_HEADER, type ForwardOutcome, type Target } from './forward.js';
import { sendPage, type Page } from './pages.js';
import { compileRoutes, matchRoutes, splitUrl, upstreamPath, type Route } from './routes.js';
import { serveFile } from './static.js';
import type { Upstream, Upstreams } from './upstreams.js';

/** Past this many devport proxies, a request is looping (a route that points at its own proxy). */
export const MAX_HOPS = 5;

export interface RouterOptions {
  node: PlanNode;
  upstreams: Upstreams;
  log: AccessLog;
  /** The last lines of a service's output, for the 502 page. */
  outputTail: (key: string) => string;
}

function hopsOf(req: http.IncomingMessage): number {
  const v = req.headers[HOPS_HEADER];
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && n > 0 ? n : 0;
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

export class Router {
  readonly server: http.Server;
  readonly #routes: Route[];
  readonly #sockets = new Set<net.Socket>();
  readonly #ws = createProxyServer({ ws: true, xfwd: true });
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
    this.#ws.on('error', () => {});
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
    return this.opts.node.proxy?.holdTimeoutMs ?? 10_000;
  }

  private upstreamPage(route: Route, u: Upstream | undefined, detail: string): Page {
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
      ...(u ? { pre: this.opts.outputTail(u.key) } : {}),
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const done = (route: string, status: number) => this.opts.log.line(method, url, route, status, performance.now() - t0);
    const hops = hopsOf(req) + 1;
    if (hops > MAX_HOPS) {
      sendPage(req, res, {
        status: 508,
        title: 'Loop Detected',
        lines: [`This request passed through devport proxies ${hops} times: a route points back at its own proxy.`, 'Check the url of the http routes in devport.toml.'],
      });
      return done('-', 508);
    }
    const [path, query] = splitUrl(url);
    const candidates = matchRoutes(this.#routes, path);
    const replayable = (method === 'GET' || method === 'HEAD') && !hasBody(req);
    // The hot path: an exec upstream that is up, nothing to fall through to. No promises, no awaits.
    const first = candidates[0];
    if (first?.spec.type === 'exec' && !(first.spec.fallthrough && candidates.length > 1)) {
      const u = this.opts.upstreams.get(first.spec.key);
      if (u && u.port !== null && this.opts.upstreams.verdict(u) === 'forward') {
        const spec = first.spec;
        forwardCb(req, res, { host: u.host, port: u.port, path: upstreamPath(first, path, query), changeOrigin: spec.changeOrigin }, { hops, port: this.#port }, false, (o) => {
          if (o.kind === 'responded') done(first.label, o.status);
          else if (o.kind === 'aborted') done(first.label, 499);
          // Unreachable (a crash since its last state): the careful path holds and retries.
          else void this.forwardExec(req, res, first, u, { path: upstreamPath(first, path, query), declineOn404: false, replayable, hops, gone: () => new AbortController().signal }).then((st) => done(first.label, st === 'declined' ? 404 : st));
        });
        return;
      }
    }
    // Client gone while we hold the request: stop holding. Made only when a request is held:
    // an AbortController per request cost a sixth of the proxy's CPU (bench/proxy).
    let gone: AbortController | undefined;
    const goneSignal = (): AbortSignal => {
      if (!gone) {
        const ctl = new AbortController();
        gone = ctl;
        if (res.destroyed || res.writableFinished) ctl.abort();
        else res.once('close', () => ctl.abort());
      }
      return gone.signal;
    };

    for (let i = 0; i < candidates.length; i++) {
      const route = candidates[i] as Route;
      const last = i === candidates.length - 1;
      const spec = route.spec;
      switch (spec.type) {
        case 'static': {
          const rel = (path.slice(route.base.length) || '/') + query;
          const o = await serveFile(req, res, spec.root, rel, spec.spa);
          if (o === 'served') return done(route.label, res.statusCode);
          if (o === 'forbidden') {
            sendPage(req, res, { status: 403, title: 'Forbidden', lines: ['That path leaves the directory this route serves.'] });
            return done(route.label, 403);
          }
          continue;
        }
        case 'exec': {
          const u = this.opts.upstreams.get(spec.key);
          if (!u || u.port === null) {
            sendPage(req, res, this.upstreamPage(route, u, 'it has no port'));
            return done(route.label, 502);
          }
          const o = await this.forwardExec(req, res, route, u, { path: upstreamPath(route, path, query), declineOn404: spec.fallthrough && !last && replayable, replayable, hops, gone: goneSignal });
          if (o === 'declined') continue;
          return done(route.label, o);
        }
        case 'http': {
          let target: Target;
          try {
            target = httpTarget(spec, upstreamPath(route, path, query));
          } catch {
            sendPage(req, res, this.upstreamPage(route, undefined, `invalid url ${spec.url}`));
            return done(route.label, 502);
          }
          const o = await forward(req, res, target, { hops, port: this.#port }, { declineOn404: spec.fallthrough && !last && replayable });
          if (o.kind === 'declined') continue;
          if (o.kind === 'unreachable') {
            sendPage(req, res, this.upstreamPage(route, undefined, `${spec.url}: ${o.code}`));
            return done(route.label, 502);
          }
          return done(route.label, o.kind === 'responded' ? o.status : 499);
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
    done('-', 404);
  }

  /** Forwards to an exec upstream, holding while it restarts; returns the status sent, or 'declined'. */
  private async forwardExec(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: Route,
    u: Upstream,
    o: { path: string; declineOn404: boolean; replayable: boolean; hops: number; gone: () => AbortSignal },
  ): Promise<number | 'declined'> {
    const ups = this.opts.upstreams;
    const spec = route.spec as Extract<PlanRoute, { type: 'exec' }>;
    if (ups.verdict(u) !== 'forward' && !(await ups.whenReady(u, this.holdTimeoutMs, o.gone()))) {
      if (o.gone().aborted) return 499;
      const detail = ups.verdict(u) === 'wait' ? `not back within ${this.holdTimeoutMs} ms` : 'it is not running';
      sendPage(req, res, this.upstreamPage(route, u, detail));
      return 502;
    }
    const deadline = Date.now() + this.holdTimeoutMs;
    for (;;) {
      const result: ForwardOutcome = await forward(req, res, { host: u.host, port: u.port ?? 0, path: o.path, changeOrigin: spec.changeOrigin }, { hops: o.hops, port: this.#port }, { declineOn404: o.declineOn404 });
      switch (result.kind) {
        case 'responded':
          return result.status;
        case 'declined':
          return 'declined';
        case 'aborted':
          return 499;
        case 'unreachable': {
          // A dev server may listen on ::1 only (Vite's "localhost" on some systems).
          if (result.code === 'ECONNREFUSED' && u.host === '127.0.0.1' && o.replayable) {
            u.host = '::1';
            const again = await forward(req, res, { host: u.host, port: u.port ?? 0, path: o.path, changeOrigin: spec.changeOrigin }, { hops: o.hops, port: this.#port }, { declineOn404: o.declineOn404 });
            if (again.kind !== 'unreachable') return again.kind === 'responded' ? again.status : again.kind === 'declined' ? 'declined' : 499;
            u.host = '127.0.0.1';
          }
          // It went away between its last state and now (a crash, a restart): hold and try again.
          ups.refresh(u);
          if (o.replayable && Date.now() < deadline && (await ups.whenReady(u, deadline - Date.now(), o.gone())) && !o.gone().aborted) {
            await new Promise((r) => setTimeout(r, 20));
            continue;
          }
          if (o.gone().aborted) return 499;
          sendPage(req, res, this.upstreamPage(route, u, result.code === 'ECONNREFUSED' ? 'connection refused' : result.code));
          return 502;
        }
        default: {
          const never: never = result;
          return never;
        }
      }
    }
  }

  /** WebSocket upgrades: through http-proxy-3, with the subprotocol and both directions intact. */
  private async upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const fail = (status: number, text: string) => {
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      else socket.destroy();
    };
    socket.on('error', () => socket.destroy());
    const hops = hopsOf(req) + 1;
    if (hops > MAX_HOPS) return fail(508, 'Loop Detected');
    const url = req.url ?? '/';
    const [path, query] = splitUrl(url);
    const route = matchRoutes(this.#routes, path).find((r) => r.spec.type !== 'static');
    if (!route) return fail(404, 'Not Found');
    let target: Target;
    if (route.spec.type === 'exec') {
      const u = this.opts.upstreams.get(route.spec.key);
      if (!u || u.port === null) return fail(502, 'Bad Gateway');
      if (this.opts.upstreams.verdict(u) !== 'forward' && !(await this.opts.upstreams.whenReady(u, this.holdTimeoutMs))) return fail(502, 'Bad Gateway');
      target = { host: u.host, port: u.port, path: upstreamPath(route, path, query), changeOrigin: route.spec.changeOrigin };
    } else if (route.spec.type === 'http') {
      target = httpTarget(route.spec, upstreamPath(route, path, query));
    } else return fail(404, 'Not Found');
    const t0 = performance.now();
    let status = 101;
    socket.once('close', () => this.opts.log.line('WS', url, route.label, status, performance.now() - t0));
    req.url = target.path;
    req.headers[HOPS_HEADER] = String(hops);
    req.headers['x-forwarded-host'] = req.headers.host ?? '';
    this.#ws.ws(
      req,
      socket,
      head,
      { target: `http://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`, changeOrigin: target.changeOrigin },
      () => {
        // The upstream could not be reached or refused the handshake.
        status = 502;
        fail(502, 'Bad Gateway');
      },
    );
  }
}
