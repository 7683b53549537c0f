// The dashboard's HTTP server: 127.0.0.1 only, every request through auth.ts,
// then the page, its bundle, or the API (api.ts).

import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { check, credential, setCookie, tokenMatches } from './auth.js';
import { handleApi, type ApiContext } from './api.js';
import { assets, html, UNAUTHORIZED_PAGE } from './page.js';
import { PlanCache } from './snapshot.js';
import { StackWatcher } from './stream.js';

export interface DashboardOptions {
  stateDir: string;
  /** 0: any free port. */
  port: number;
  token: string;
  /** This dashboard's key when it runs as a node of the stack. */
  self: string | null;
  say: (message: string) => void;
  /** A supervised dashboard stops itself after `POST /api/stack/down`. */
  onStackDown?: () => void;
}

export interface Dashboard {
  port: number;
  /** With the token: what the owner opens. */
  url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const plans = new PlanCache(opts.stateDir);
  const watcher = new StackWatcher(opts.stateDir, plans);
  watcher.start();
  const open = new Set<http.ServerResponse>();
  let port = opts.port;
  const ctx: ApiContext = { ...opts, plans, watcher, open, port: () => port };

  const server = http.createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const verdict = check(req, opts.token, port, url.pathname);
    if (!verdict.ok) {
      res.writeHead(verdict.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, message: verdict.message }) + '\n');
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      handleApi(ctx, req, res, url).catch((err: unknown) => {
        opts.say(`internal error in ${req.method} ${url.pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, message: 'internal error (in the dashboard\'s output)' }));
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    switch (url.pathname) {
      case '/': {
        // The token comes once in the URL: it becomes a cookie and leaves the address bar (and history).
        const given = url.searchParams.get('token');
        if (given !== null) {
          if (!tokenMatches(given, opts.token)) {
            res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' }).end(UNAUTHORIZED_PAGE);
            return;
          }
          res.writeHead(303, { 'set-cookie': setCookie(opts.token), location: '/' }).end();
          return;
        }
        if (credential(req, opts.token) === undefined) {
          res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' }).end(UNAUTHORIZED_PAGE);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html(path.basename(path.dirname(opts.stateDir))));
        return;
      }
      case '/app.js':
      case '/app.css': {
        const a = assets();
        if (!a) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('the page bundle is missing: run `npm run build`\n');
          return;
        }
        const js = url.pathname === '/app.js';
        res.writeHead(200, { 'content-type': js ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8' }).end(js ? a.js : a.css);
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  // Long-lived streams must not keep a closing server open.
  server.on('request', (_req, res: http.ServerResponse) => {
    open.add(res);
    res.on('close', () => open.delete(res));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only, whatever the stack's host: this page can stop the stack.
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/?token=${opts.token}`,
    close: () =>
      new Promise<void>((resolve) => {
        watcher.close();
        for (const res of open) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
