// The router with real upstream servers and real sockets: matching, stripping,
// static files, fall-through, headers, streaming, WebSockets, loops.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import type { Plan, PlanNode, PlanRoute } from '../src/plan/types.js';
import { AccessLog } from '../src/proxy/access-log.js';
import { destroyAgents } from '../src/proxy/forward.js';
import { Router } from '../src/proxy/router.js';
import { Upstreams } from '../src/proxy/upstreams.js';
import { freePort, waitFor } from './rig.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-proxy-'));
const servers: { close(): void }[] = [];
const logLines: string[] = [];

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      servers.push({ close: () => (server.closeAllConnections(), server.close()) });
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/** Answers with what it received. */
function echoServer(name: string): http.Server {
  return http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
}

let proxyPort = 0;
let router: Router;
let wss: WebSocketServer;

function node(routes: PlanRoute[]): PlanNode {
  return {
    key: 'web', name: 'web', prefix: 'WEB', kind: 'proxy', parent: null, command: [], cwd: dir, port: 0, portSource: 'allocated', host: '127.0.0.1',
    url: null, env: {}, envNames: [], health: { type: 'tcp', intervalMs: 200, timeoutMs: 30000, probeTimeoutMs: 2000, recheckIntervalMs: 2000, settleMs: 300, url: null, command: null, expectStatus: null },
    restart: 'on-failure', stopSignal: 'SIGTERM', stopTimeoutMs: 5000, dependsOn: [], watch: [], watchIgnore: [], build: null, compose: null,
    proxy: { holdTimeoutMs: 2000, routes },
  };
}

const get = (p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> =>
  new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: proxyPort, path: p, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });

const json = async (p: string, headers: Record<string, string> = {}) => JSON.parse((await get(p, headers)).body) as { name: string; url: string; headers: Record<string, string>; method: string; body: string };

before(async () => {
  const api = await listen(echoServer('api'));
  const app = await listen(echoServer('app'));
  const exact = await listen(echoServer('exact'));
  const notFound = await listen(
    http.createServer((req, res) => {
      res.statusCode = 404;
      res.end('legacy says no');
    }),
  );
  const sse = await listen(
    http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      // The second event only comes much later: the first must not wait for it.
      const t = setTimeout(() => res.end('data: second\n\n'), 3000);
      req.on('close', () => clearTimeout(t));
    }),
  );
  const wsHttp = http.createServer();
  wss = new WebSocketServer({ server: wsHttp, handleProtocols: (protocols) => (protocols.has('vite-hmr') ? 'vite-hmr' : false) });
  wss.on('connection', (socket, req) => {
    socket.send(JSON.stringify({ type: 'connected', url: req.url, host: req.headers.host }));
    socket.on('message', (m) => socket.send(`echo:${m.toString()}`));
  });
  const wsPort = await listen(wsHttp);

  mkdirSync(path.join(dir, 'site', 'sub'), { recursive: true });
  writeFileSync(path.join(dir, 'site', 'index.html'), '<h1>home</h1>');
  writeFileSync(path.join(dir, 'site', 'app.css'), 'body{}');
  writeFileSync(path.join(dir, 'site', 'sub', 'index.html'), '<h1>sub</h1>');
  writeFileSync(path.join(dir, 'site', 'big.txt'), '0123456789'.repeat(100));
  writeFileSync(path.join(dir, 'secret.txt'), 'do not serve');
  mkdirSync(path.join(dir, 'spa'));
  writeFileSync(path.join(dir, 'spa', 'index.html'), '<div id=app></div>');

  const h = (name: string, prefix: string, port: number, extra: Partial<Extract<PlanRoute, { type: 'http' }>> = {}): PlanRoute => ({
    type: 'http', prefix, name, url: `http://127.0.0.1:${port}`, stripPrefix: false, fallthrough: false, changeOrigin: false, ...extra,
  });
  const routes: PlanRoute[] = [
    h('api', '/api/', api, { stripPrefix: true }),
    h('exact', '/exact', exact),
    h('legacy', '/app/legacy/', notFound, { fallthrough: true }),
    h('legacy-strict', '/strict/', notFound),
    { type: 'static', prefix: '/app/', name: 'site', root: path.join(dir, 'site'), spa: false, stripPrefix: true, fallthrough: false },
    h('app', '/app', app),
    { type: 'static', prefix: '/spa/', name: 'spa', root: path.join(dir, 'spa'), spa: true, stripPrefix: true, fallthrough: false },
    h('events', '/events', sse),
    h('ws', '/ws/', wsPort, { stripPrefix: true }),
    h('origin', '/origin/', api, { stripPrefix: true, changeOrigin: true }),
    h('based', '/based/', api, { stripPrefix: true, url: `http://127.0.0.1:${api}/base/` }),
  ];
  // The proxy's own port first: one route points back at it (a loop).
  proxyPort = await freePort();
  routes.push(h('loop', '/loop/', proxyPort));
  const plan = { stateDir: path.join(dir, '.devport') } as Plan;
  router = new Router({ node: node(routes), upstreams: new Upstreams(plan, []), log: new AccessLog((t) => logLines.push(...t.trimEnd().split('\n'))), outputTail: () => '' });
  await router.listen('127.0.0.1', proxyPort);
});

after(async () => {
  await router.close(0);
  for (const s of servers) s.close();
  wss.close();
  destroyAgents();
  rmSync(dir, { recursive: true, force: true });
});

describe('matching and paths', () => {
  test('strip_prefix removes the prefix and keeps a leading slash and the query', async () => {
    assert.equal((await json('/api/users?x=1&y=2')).url, '/users?x=1&y=2');
    assert.equal((await json('/api/')).url, '/');
    assert.equal((await json('/api?q=1')).url, '/?q=1');
  });
  test('without strip_prefix the path is forwarded as is', async () => {
    assert.equal((await json('/exact/a/b?z=9')).url, '/exact/a/b?z=9');
  });
  test('prefixes match on segment boundaries only', async () => {
    assert.equal((await json('/exact')).name, 'exact');
    assert.equal((await json('/exact/x')).name, 'exact');
    assert.equal((await get('/exactly')).status, 404, '/exactly is not under /exact');
    assert.equal((await get('/apix')).status, 404);
  });
  test('an http route with a base path prepends it', async () => {
    assert.equal((await json('/based/users?a=1')).url, '/base/users?a=1');
  });
  test('no route: 404 naming the routes', async () => {
    const r = await get('/nowhere');
    assert.equal(r.status, 404);
    assert.match(r.body, /No route for \/nowhere\./);
    assert.match(r.body, /\/api\/ \(api\)/);
  });
});

describe('static', () => {
  test('index.html, MIME types, ETag and 304, Range', async () => {
    const index = await get('/app/');
    assert.equal(index.status, 200);
    assert.equal(index.body, '<h1>home</h1>');
    assert.match(String(index.headers['content-type']), /^text\/html/);
    const css = await get('/app/app.css');
    assert.match(String(css.headers['content-type']), /^text\/css/);
    const etag = String(css.headers.etag);
    assert.ok(etag);
    assert.equal((await get('/app/app.css', { 'if-none-match': etag })).status, 304);
    const range = await get('/app/big.txt', { range: 'bytes=10-19' });
    assert.equal(range.status, 206);
    assert.equal(range.body, '0123456789');
    assert.equal(range.headers['content-range'], 'bytes 10-19/1000');
  });
  test('a directory without its slash redirects, keeping the prefix', async () => {
    const r = await get('/app/sub');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/app/sub/');
    assert.equal((await get('/app/sub/')).body, '<h1>sub</h1>');
  });
  test('traversal out of the root is refused', async () => {
    for (const p of ['/app/../secret.txt', '/app/%2e%2e/secret.txt', '/app/..%2fsecret.txt']) {
      const r = await get(p);
      assert.notEqual(r.body, 'do not serve', p);
      assert.ok([403, 404].includes(r.status), `${p}: ${r.status}`);
    }
    assert.equal((await get('/app/%2e%2e/secret.txt')).status, 403);
  });
  test('a static miss falls through to the shorter app route', async () => {
    const r = await json('/app/users/42');
    assert.equal(r.name, 'app');
    assert.equal(r.url, '/app/users/42');
  });
  test('spa = true answers unknown pages with index.html, not missing assets', async () => {
    assert.equal((await get('/spa/settings/profile')).body, '<div id=app></div>');
    assert.equal((await get('/spa/missing.js')).status, 404);
  });
});

describe('fall-through of http routes', () => {
  test('a 404 with fallthrough = true goes on to the next route; without it, the 404 is the answer', async () => {
    assert.equal((await json('/app/legacy/x')).name, 'app');
    const strict = await get('/strict/x');
    assert.equal(strict.status, 404);
    assert.equal(strict.body, 'legacy says no');
  });
});

describe('headers', () => {
  test('Host is kept; X-Forwarded-* are set', async () => {
    const r = await json('/api/h', { host: 'myapp.localhost:1234', 'x-forwarded-for': '10.0.0.1' });
    assert.equal(r.headers.host, 'myapp.localhost:1234');
    assert.equal(r.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
    assert.equal(r.headers['x-forwarded-proto'], 'http');
    assert.equal(r.headers['x-forwarded-host'], 'myapp.localhost:1234');
    assert.equal(r.headers['x-forwarded-port'], String(proxyPort));
    assert.equal(r.headers['x-devport-hops'], '1');
  });
  test('change_origin rewrites Host to the upstream', async () => {
    const r = await json('/origin/h', { host: 'myapp.localhost' });
    assert.match(r.headers.host ?? '', /^127\.0\.0\.1:\d+$/);
  });
  test('hop-by-hop headers are not forwarded', async () => {
    const r = await json('/api/h', { connection: 'keep-alive, x-private', 'x-private': 'secret', 'keep-alive': 'timeout=5' });
    assert.equal(r.headers['x-private'], undefined);
    assert.equal(r.headers['keep-alive'], undefined);
  });
  test('a request body is forwarded', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxyPort, path: '/api/post', method: 'POST', headers: { 'content-type': 'text/plain' }, agent: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end('hello body');
    });
    assert.equal(JSON.parse(body).body, 'hello body');
  });
});

describe('streaming and loops', () => {
  test('SSE: the first event arrives before the stream ends', async () => {
    const t0 = Date.now();
    const first = await new Promise<{ text: string; ms: number; req: http.ClientRequest }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: proxyPort, path: '/events', agent: false }, (res) => {
        res.setEncoding('utf8');
        res.once('data', (d: string) => resolve({ text: d, ms: Date.now() - t0, req }));
      });
      req.on('error', reject);
    });
    assert.equal(first.text, 'data: first\n\n');
    assert.ok(first.ms < 1500, `first event after ${first.ms} ms (the stream ends at 3000)`);
    first.req.destroy();
  });
  test('a route pointing at its own proxy stops at 508', async () => {
    const r = await get('/loop/x');
    assert.equal(r.status, 508);
    assert.match(r.body, /passed through devport proxies 6 times/);
  });
  test('an access line per request: method, path, route, status, ms', async () => {
    await get('/exact/logged');
    await waitFor('access line', () => logLines.some((l) => /^GET \/exact\/logged → exact 200 \d+\.\dms$/.test(l)), 2000);
  });
});

describe('WebSockets', () => {
  test('an echo with a subprotocol, both ways; a close on either side closes the other', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/ws/hmr?token=1`, 'vite-hmr');
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, 'vite-hmr');
    await waitFor('connected', () => messages.length >= 1);
    const hello = JSON.parse(messages[0] ?? '{}');
    assert.equal(hello.type, 'connected');
    assert.equal(hello.url, '/hmr?token=1', 'prefix stripped, query kept');
    ws.send('ping');
    await waitFor('echo', () => messages.includes('echo:ping'));
    // The server closes: the client sees it.
    const serverSide = [...wss.clients][0];
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    serverSide?.close(4001, 'bye');
    assert.equal(await closed, 4001);
  });
  test('the client closing closes the upstream socket', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/ws/`);
    await new Promise<void>((r) => ws.once('open', () => r()));
    await waitFor('server sees one client', () => wss.clients.size === 1);
    ws.close();
    await waitFor('upstream closed', () => wss.clients.size === 0, 3000);
  });
  test('a failed upstream handshake answers 502 on the socket', async () => {
    const dead = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    // A route to a port where nothing listens.
    const r2 = new Router({
      node: node([{ type: 'http', prefix: '/', name: 'dead', url: `http://127.0.0.1:${dead}`, stripPrefix: false, fallthrough: false, changeOrigin: false }]),
      upstreams: new Upstreams({ stateDir: dir } as Plan, []),
      log: new AccessLog(() => {}),
      outputTail: () => '',
    });
    await r2.listen('127.0.0.1', 0);
    const a = r2.server.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => resolve(got));
    });
    assert.match(answer, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    await r2.close(0);
  });
});
