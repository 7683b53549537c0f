// The router with real upstream servers and real sockets: matching, stripping,
// path normalisation, static files, fall-through, headers, streaming,
// WebSockets, loops; exec upstreams held while they restart.

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
import { climbsOut } from '../src/proxy/static.js';
import { Upstreams, type Upstream } from '../src/proxy/upstreams.js';
import { writeFileAtomic } from '../src/state/atomic.js';
import type { ServiceStateName } from '../src/state/types.js';
import { freePort, stateFixture, waitFor } from './rig.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-proxy-'));
const servers: { close(): void }[] = [];
const logLines: string[] = [];

function listen(server: http.Server | net.Server, host = '127.0.0.1', port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      servers.push({ close: () => ('closeAllConnections' in server && server.closeAllConnections(), server.close()) });
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

function node(routes: PlanRoute[], holdTimeoutMs = 2000): PlanNode {
  return {
    key: 'web', name: 'web', prefix: 'WEB', kind: 'proxy', parent: null, command: [], cwd: dir, port: 0, portSource: 'allocated', host: '127.0.0.1',
    url: null, ownEnv: {}, env: {}, envNames: [], health: { type: 'tcp', intervalMs: 200, timeoutMs: 30000, probeTimeoutMs: 2000, recheckIntervalMs: 2000, settleMs: 300, url: null, command: null, expectStatus: null },
    restart: 'on-failure', stopSignal: 'SIGTERM', stopTimeoutMs: 5000, dependsOn: [], watch: [], watchIgnore: [], watchDebounceMs: 50, reloadSignal: null, build: null, compose: null,
    proxy: { holdTimeoutMs, routes },
  };
}

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** A GET with the path sent as written (fetch and URL would resolve its dot segments). */
const getFrom = (port: number, p: string, headers: Record<string, string> = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });

const get = (p: string, headers: Record<string, string> = {}): Promise<Answer> => getFrom(proxyPort, p, headers);

/** Settles with `p`, or rejects once `ms` have passed: every wait in these tests has a deadline. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** A WebSocket handshake with the path sent as written: the status and, after a 101, the first (short, text) frame. */
function upgradeTo(port: number, p: string): Promise<{ status: number; first?: string }> {
  return new Promise((resolve, reject) => {
    const headers = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const req = http.request({ host: '127.0.0.1', port, path: p, headers, agent: false });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('upgrade', (_res, socket, head: Buffer) => {
      let buf = head;
      // A server frame: 0x81, a 7-bit length, the unmasked payload.
      const frame = () => {
        const len = (buf[1] ?? 0) & 0x7f;
        if (buf.length < 2 + len) return;
        socket.destroy();
        resolve({ status: 101, first: buf.subarray(2, 2 + len).toString() });
      };
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        frame();
      });
      frame();
    });
    req.on('error', reject);
    req.end();
  });
}

const json = async (p: string, headers: Record<string, string> = {}) => JSON.parse((await get(p, headers)).body) as { name: string; url: string; headers: Record<string, string>; method: string; body: string };

before(async () => {
  const api = await listen(echoServer('api'));
  const app = await listen(echoServer('app'));
  const exact = await listen(echoServer('exact'));
  const admin = await listen(echoServer('admin'));
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
  // Refuses every handshake with a plain 400.
  const ws400 = http.createServer();
  ws400.on('upgrade', (_req, socket: net.Socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\nConnection: close\r\n\r\nno ws\r\n'));
  const ws400Port = await listen(ws400);

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
    h('admin', '/admin', admin),
    h('legacy', '/app/legacy/', notFound, { fallthrough: true }),
    h('legacy-strict', '/strict/', notFound),
    { type: 'static', prefix: '/app/', name: 'site', root: path.join(dir, 'site'), spa: false, stripPrefix: true, fallthrough: false },
    h('app', '/app', app),
    { type: 'static', prefix: '/spa/', name: 'spa', root: path.join(dir, 'spa'), spa: true, stripPrefix: true, fallthrough: false },
    h('events', '/events', sse),
    h('ws', '/ws/', wsPort, { stripPrefix: true }),
    h('ws400', '/ws400/', ws400Port),
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
  test('dot segments are resolved before matching: /api/../admin is /admin, never /../admin at the api', async () => {
    for (const p of ['/api/../admin', '/api/%2e%2e/admin', '/api/.%2E/admin', '/api/x/../../../../admin', '/api/./../admin/.']) {
      const r = await json(p);
      assert.equal(r.name, 'admin', p);
      assert.match(r.url, /^\/admin\/?$/, p);
    }
  });
  test('what the upstream receives has no dot segments; the query is kept byte for byte', async () => {
    assert.equal((await json('/api/a/./b/../c?x=/../y&z=%2e%2e')).url, '/a/c?x=/../y&z=%2e%2e');
    assert.equal((await json('/api/a/b/..')).url, '/a/', 'a trailing dot segment leaves its slash');
    assert.equal((await json('/exact/a/%2E/b')).url, '/exact/a/b');
    assert.equal((await json('/exact/x/../../api/q')).url, '/q', 'matched as /api/q, prefix stripped');
  });
  test('encoded slashes stay encoded and are never a segment boundary', async () => {
    assert.equal((await json('/api/a%2Fb%5cc?q=%2f')).url, '/a%2Fb%5cc?q=%2f');
    assert.equal((await get('/api%2fusers')).status, 404, '/api%2fusers is not under /api');
    assert.equal((await get('/admin%2F..%2Fapi')).status, 400);
  });
  test('a ".." hidden behind an encoded slash, a backslash or a ";" is refused with 400', async () => {
    for (const p of ['/api/..%2fadmin', '/api/..%2Fadmin', '/api/%2e%2e%5cadmin', '/api/..\\admin', '/api/a%2f..%2f..%2fadmin', '/api/..;/admin', '/api/%2e%2e;x/admin']) {
      const r = await get(p);
      assert.equal(r.status, 400, p);
      assert.match(r.body, /400 Bad Request/, p);
    }
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
    // Resolved by the router first (to /secret.txt: no route), or refused (400) for a hidden "..".
    for (const p of ['/app/../secret.txt', '/app/%2e%2e/secret.txt', '/app/..%2fsecret.txt', '/app/sub/..%5c..%5csecret.txt']) {
      const r = await get(p);
      assert.notEqual(r.body, 'do not serve', p);
      assert.ok([400, 403, 404].includes(r.status), `${p}: ${r.status}`);
    }
    assert.equal((await get('/app/..%2fsecret.txt')).status, 400);
    assert.notEqual((await get('/app/%252e%252e/secret.txt')).body, 'do not serve', 'decoded once only');
    // Within the route, dot segments just resolve.
    assert.equal((await get('/app/sub/../app.css')).body, 'body{}');
    // The static route's own check still refuses what reaches it.
    for (const rel of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/..%5csecret.txt', '/a%00']) assert.ok(climbsOut(rel), rel);
    assert.ok(!climbsOut('/sub/index.html'));
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
  test('an upgrade path is resolved like any other: no dot segments reach the upstream', async () => {
    const r = await upgradeTo(proxyPort, '/ws/a/./../b?q=/../1');
    assert.equal(r.status, 101);
    assert.equal(JSON.parse(r.first ?? '{}').url, '/b?q=/../1');
    assert.equal((await upgradeTo(proxyPort, '/ws/..%2fx')).status, 400);
  });
  test('the access log has the status the upstream answered the handshake with', async () => {
    assert.equal((await upgradeTo(proxyPort, '/ws/logged')).status, 101);
    await waitFor('101 logged', () => logLines.some((l) => /^WS \/ws\/logged → ws 101 /.test(l)), 3000);
    assert.equal((await upgradeTo(proxyPort, '/ws400/x')).status, 400);
    const line = await waitFor('the 400 logged', () => logLines.find((l) => l.startsWith('WS /ws400/x ')), 3000);
    assert.match(line, /^WS \/ws400\/x → ws400 400 /);
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

/** Upstreams that say when a request starts waiting: tests act on the hold itself, not after a sleep. */
class SpyUpstreams extends Upstreams {
  #onWait: ((key: string) => void) | undefined;

  override whenReady(u: Upstream, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    this.#onWait?.(u.key);
    return super.whenReady(u, timeoutMs, signal);
  }

  /** Resolves when a request to `key` starts waiting for it. */
  waiting(key: string): Promise<void> {
    return new Promise((resolve) => {
      this.#onWait = (k) => {
        if (k !== key) return;
        this.#onWait = undefined;
        resolve();
      };
    });
  }
}

describe('exec upstreams', () => {
  const stateDir = path.join(dir, 'exec-state');
  const lines: string[] = [];
  const HOLD_MS = 30_000;
  let ups: SpyUpstreams;
  let r: Router;
  let port = 0;
  let dualPort = 0;
  let parkAt6: ((res: http.ServerResponse) => void) | undefined;

  /** What a sidecar does: write its state.json. */
  const writeState = (key: string, state: ServiceStateName) => {
    mkdirSync(path.join(stateDir, key), { recursive: true });
    writeFileAtomic(path.join(stateDir, key, 'state.json'), stateFixture(key, state));
  };
  /** A state the router has already read (its watcher would have): no poll in these tests. */
  const setState = (key: string, state: ServiceStateName) => {
    writeState(key, state);
    const u = ups.get(key);
    assert.ok(u);
    ups.refresh(u);
    assert.equal(u.state?.state, state);
  };
  const logged = (re: RegExp) => waitFor(`an access line ${re}`, () => lines.some((l) => re.test(l)), 3000);

  before(async () => {
    // Crashes on every request and says so in its state (as its sidecar would): "starting" again.
    const crashing = await listen(
      net.createServer((c) =>
        c.once('data', () => {
          writeState('crashing', 'starting');
          c.destroy();
        }),
      ),
    );
    // On ::1 only, for now: parks /dual/a until the test answers it.
    dualPort = await listen(
      http.createServer((q, s) => (q.url === '/dual/a' && parkAt6 ? parkAt6(s) : s.end(JSON.stringify({ name: 'v6', url: q.url })))),
      '::1',
    );
    const ports: Record<string, number> = { crashing, dual: dualPort, starting: await freePort(), down: await freePort() };
    const keys = Object.keys(ports);
    const plan = { stateDir, nodes: keys.map((key) => ({ key, port: ports[key] })) } as unknown as Plan;
    ups = new SpyUpstreams(plan, keys);
    const exec = (key: string): PlanRoute => ({ type: 'exec', prefix: `/${key}/`, name: key, key, stripPrefix: false, fallthrough: false, changeOrigin: false });
    r = new Router({
      node: node(keys.map(exec), HOLD_MS),
      upstreams: ups,
      log: new AccessLog((t) => lines.push(...t.trimEnd().split('\n'))),
      outputTail: (key) => `${key}: listening, token=SECRET-${key}`,
      authorized: (req) => req.headers['x-test-authorized'] === 'yes',
    });
    await r.listen('127.0.0.1', 0);
    const a = r.server.address();
    port = typeof a === 'object' && a ? a.port : 0;
  });

  after(async () => {
    ups.stop();
    await r.close(0);
  });

  test('a request that finds its upstream crashed is held, and released at once when its client hangs up (499)', async () => {
    // Healthy by its last state, so the request takes the fast path, finds it gone, and is held.
    setState('crashing', 'healthy');
    const held = ups.waiting('crashing');
    const req = http.get({ host: '127.0.0.1', port, path: '/crashing/x', agent: false });
    req.on('error', () => {});
    await within(held, 5000, 'hold');
    req.destroy();
    await logged(/^GET \/crashing\/x → crashing 499 /);
  });

  test('a request held for a starting upstream is released when its client hangs up (499)', async () => {
    setState('starting', 'starting');
    const held = ups.waiting('starting');
    const req = http.get({ host: '127.0.0.1', port, path: '/starting/x', agent: false });
    req.on('error', () => {});
    await within(held, 5000, 'hold');
    req.destroy();
    await logged(/^GET \/starting\/x → starting 499 /);
  });

  test('a WebSocket upgrade held for a starting upstream stops waiting when its client hangs up', async () => {
    setState('starting', 'starting');
    const held = ups.waiting('starting');
    const s = net.connect(port, '127.0.0.1', () =>
      s.write('GET /starting/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'),
    );
    s.on('error', () => {});
    await within(held, 5000, 'hold');
    s.destroy();
    await logged(/^WS \/starting\/ws → starting 499 /);
  });

  test('while one request tries ::1, the others keep going to 127.0.0.1; ::1 is learned once it answers', async () => {
    setState('dual', 'healthy');
    const parked = new Promise<http.ServerResponse>((resolve) => (parkAt6 = resolve));
    // Nothing on 127.0.0.1 yet: A is refused there and tries ::1, which holds it.
    const a = getFrom(port, '/dual/a');
    const atSix = await within(parked, 5000, 'request A at ::1');
    // The upstream is back on 127.0.0.1 meanwhile: B must go there, not to ::1.
    await listen(echoServer('v4'), '127.0.0.1', dualPort);
    const b = await within(getFrom(port, '/dual/b'), 5000, 'answer to B');
    assert.equal(JSON.parse(b.body).name, 'v4', 'B went to ::1 while A was only trying it');
    atSix.end(JSON.stringify({ name: 'v6', url: '/dual/a' }));
    assert.equal(JSON.parse((await within(a, 5000, 'answer to A')).body).name, 'v6');
    assert.equal(JSON.parse((await getFrom(port, '/dual/c')).body).name, 'v6', '::1 answered: it is the learned host');
  });

  test('the 502 page names the route, the upstream, its state and `devport logs`, never its output', async () => {
    setState('down', 'stopped');
    for (const accept of ['text/html', 'text/plain']) {
      const page = await getFrom(port, '/down/x', { accept });
      assert.equal(page.status, 502);
      assert.match(page.body, /Route \/down\/ \(down\) could not reach its upstream: it is not running\./);
      assert.match(page.body, /Upstream: down on 127\.0\.0\.1:\d+, state: stopped/);
      assert.match(page.body, /devport logs down/);
      assert.doesNotMatch(page.body, /SECRET|token=/, 'the output tail is not for any HTTP client');
    }
    // The seam for a future dashboard token: a request the router authorizes sees the tail.
    assert.match((await getFrom(port, '/down/x', { 'x-test-authorized': 'yes' })).body, /token=SECRET-down/);
  });
});
