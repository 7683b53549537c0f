// The request inspector end to end: a real stack (proxy sidecar, exec
// upstream with HTTP, SSE and a WebSocket), its rpc.sock endpoints, replay,
// and `devport requests` (table, --json against spec/requests.schema.json,
// --har against a HAR 1.2 schema, filters, errors).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { WebSocket } from 'ws';
import type { CapturedRequest, ListResponse, ReplayResult } from '../src/proxy/capture-types.js';
import { socketPath } from '../src/rpc/client.js';
import { REPO, Rig, waitFor } from './rig.js';

const ajv = new Ajv2020({ strict: true, allErrors: true });
formats.default(ajv);
const json = (p: string) => JSON.parse(readFileSync(path.join(REPO, p), 'utf8')) as Record<string, unknown>;
const validators = {
  requests: ajv.compile(json('spec/requests.schema.json')),
  har: ajv.compile(json('test/fixtures/har-1.2.schema.json')),
  error: ajv.compile(json('spec/error.schema.json')),
};
function valid(name: keyof typeof validators, value: unknown, what: string): void {
  const v = validators[name];
  if (v(value)) return;
  const errors = (v.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  assert.fail(`${what} does not match the ${name} schema:\n  ${errors.join('\n  ')}\n${JSON.stringify(value).slice(0, 2000)}`);
}

/** The upstream: echo, binary, big, 500, an event stream, a WebSocket echo. */
const APP = `
const http = require('http');
const { WebSocketServer } = require(${JSON.stringify(path.join(REPO, 'node_modules', 'ws'))});
const bin = Buffer.alloc(1024);
for (let i = 0; i < bin.length; i++) bin[i] = i % 256;
const server = http.createServer((q, s) => {
  const parts = [];
  q.on('data', (d) => parts.push(d));
  q.on('end', () => {
    const body = Buffer.concat(parts).toString();
    if (q.url === '/bin') { s.writeHead(200, { 'content-type': 'application/octet-stream' }); return s.end(bin); }
    if (q.url === '/big') { s.writeHead(200, { 'content-type': 'text/plain' }); return s.end('x'.repeat(100 * 1024)); }
    if (q.url === '/fail') { s.writeHead(500, { 'content-type': 'text/plain' }); return s.end('boom'); }
    if (q.url === '/sse') {
      s.writeHead(200, { 'content-type': 'text/event-stream' });
      s.write('data: one\\n\\n');
      return setTimeout(() => s.end('data: two\\n\\n'), 50);
    }
    s.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'sid=upstream-secret; Path=/' });
    s.end(JSON.stringify({ method: q.method, url: q.url, body, auth: q.headers.authorization || null }));
  });
});
new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', (m) => ws.send('echo:' + m)));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

const KEEP = 8;
let rig: Rig;
let web = '';
const P = () => rig.path('p');
const proxyDir = () => rig.path('p', '.devport', 'web');

/** HTTP over the proxy sidecar's rpc.sock. */
function rpc(method: 'GET' | 'POST', urlPath: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socketPath(proxyDir()), method, path: urlPath, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`rpc ${urlPath}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const list = async (q = ''): Promise<ListResponse> => {
  const r = await rpc('GET', `/requests${q}`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as ListResponse;
};

/** `devport requests --json …`: every line held to the schema. */
async function requestsJson(...args: string[]): Promise<(CapturedRequest & { proxy: string })[]> {
  const r = await rig.run(['requests', '--json', ...args], { cwd: P() });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CapturedRequest & { proxy: string });
  lines.forEach((l, i) => valid('requests', l, `requests --json line ${i + 1}`));
  return lines;
}

/** The newest capture of `url` once it has ended (a capture ends right after its response). */
const endedCapture = (url: string) =>
  waitFor(`the capture of ${url}`, async () => (await list('?bodies=1')).requests.filter((c) => c.url === url && c.duration_ms !== null).at(-1));

const header = (h: [string, string][], name: string) => h.find(([n]) => n.toLowerCase() === name)?.[1];

describe('request inspector', () => {
  before(async () => {
    rig = new Rig('devport-requests-');
    rig.write('p/app.js', APP);
    rig.write(
      'p/devport.toml',
      `[[service]]
type = "proxy"
name = "web"
capture = ${KEEP}
  [[service.routes]]
  name = "api"
  path = "/api/"
  strip_prefix = true
  command = ["node", "app.js"]
`,
    );
    const r = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
    web = (JSON.parse(readFileSync(rig.path('p', '.devport', 'web', 'state.json'), 'utf8')) as { state: { url: string } }).state.url;
  });
  after(async () => {
    await rig.run(['down'], { cwd: P() });
    const left = await rig.cleanup();
    assert.deepEqual(left, [], 'processes left behind');
  });

  test('a POST through the proxy is in `devport requests --json`: status, route, upstream generation, headers, bodies', async () => {
    const res = await fetch(`${web}/api/echo?x=1`, { method: 'POST', body: 'hello=world', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test': 'one' } });
    assert.equal(res.status, 200);
    await res.text();
    await endedCapture('/api/echo?x=1');
    const [line] = await requestsJson('-n', '1');
    assert.ok(line);
    assert.equal(line.proxy, 'web');
    assert.equal(line.kind, 'http');
    assert.equal(line.method, 'POST');
    assert.equal(line.url, '/api/echo?x=1');
    assert.equal(line.status, 200);
    assert.equal(line.route, '/api/');
    assert.deepEqual(line.upstream, { key: 'web_api', generation: 1 });
    assert.equal(header(line.request_headers, 'x-test'), 'one');
    assert.equal(header(line.response_headers, 'content-type'), 'application/json');
    assert.deepEqual(line.request_body, { size: 11, text: 'hello=world', encoding: 'utf8', truncated: false });
    assert.equal(line.response_body?.encoding, 'utf8');
    assert.deepEqual(JSON.parse(line.response_body?.text ?? ''), { method: 'POST', url: '/echo?x=1', body: 'hello=world', auth: null });
    assert.ok(line.duration_ms !== null && line.wait_ms !== null && line.wait_ms <= line.duration_ms);
    assert.equal(line.error, null);
    // People get a table.
    const table = await rig.run(['requests', '-n', '1'], { cwd: P() });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+TIME\s+METHOD\s+STATUS\s+DURATION\s+SIZE\s+ROUTE\s+UPSTREAM\s+URL\n/);
    assert.match(table.stdout, /\n\d+\s+\S+\s+POST\s+200\s+\S+ms\s+\d+B\s+\/api\/\s+web_api#1\s+\/api\/echo\?x=1\n$/);
  });

  test('a binary body is base64; a body over 64 KiB is truncated with its true size', async () => {
    await (await fetch(`${web}/api/bin`)).arrayBuffer();
    await (await fetch(`${web}/api/big`)).text();
    const bin = await endedCapture('/api/bin');
    const expected = Buffer.alloc(1024).map((_, i) => i % 256);
    assert.equal(bin.response_body?.encoding, 'base64');
    assert.equal(bin.response_body?.size, 1024);
    assert.deepEqual(Buffer.from(bin.response_body?.text ?? '', 'base64'), Buffer.from(expected));
    const big = await endedCapture('/api/big');
    assert.equal(big.response_body?.size, 100 * 1024);
    assert.equal(big.response_body?.truncated, true);
    assert.equal(big.response_body?.text?.length, 64 * 1024);
    // The full entry by id has the same; the list leaves body text out unless bodies=1.
    const byId = JSON.parse((await rpc('GET', `/requests/${big.id}`)).body) as CapturedRequest;
    assert.equal(byId.response_body?.text?.length, 64 * 1024);
    const plain = (await list()).requests.find((c) => c.id === big.id);
    assert.deepEqual(plain?.response_body, { size: 100 * 1024, text: null, encoding: 'utf8', truncated: true });
  });

  test('--status 5xx and --status 404 filter; a request no route takes has route null', async () => {
    await (await fetch(`${web}/api/fail`)).text();
    await (await fetch(`${web}/nowhere`)).text();
    await endedCapture('/nowhere');
    const failed = await requestsJson('--status', '5xx');
    assert.ok(failed.length >= 1);
    assert.ok(failed.every((l) => l.status !== null && l.status >= 500 && l.status < 600), JSON.stringify(failed.map((l) => l.status)));
    assert.ok(failed.some((l) => l.url === '/api/fail' && l.status === 500));
    const missing = await requestsJson('--status', '404', '--method', 'get');
    assert.ok(missing.some((l) => l.url === '/nowhere' && l.route === null && l.upstream === null));
    assert.ok(missing.every((l) => l.status === 404));
    const byRoute = await requestsJson('--route', 'api');
    assert.ok(byRoute.length >= 1 && byRoute.every((l) => l.route === '/api/'));
    const bad = await rig.run(['requests', '--status', 'teapot', '--json'], { cwd: P() });
    assert.equal(bad.code, 1);
    const err = JSON.parse(bad.stderr) as { code: string };
    valid('error', err, 'requests --status teapot');
    assert.equal(err.code, 'USAGE');
  });

  test('the stream endpoint delivers a new entry; an SSE response is its own kind', async () => {
    const frames: CapturedRequest[] = [];
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    const ctl = new AbortController();
    const req = http.request({ socketPath: socketPath(proxyDir()), path: '/requests/stream', agent: false, signal: ctl.signal }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        if (buf.includes(': subscribed\n\n')) subscribed();
        for (let i = buf.indexOf('\n\n'); i !== -1; i = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (frame.startsWith('data: ')) frames.push(JSON.parse(frame.slice(6)) as CapturedRequest);
        }
      });
      res.on('error', () => {});
    });
    req.on('error', () => {});
    req.end();
    try {
      await waitFor('the stream to be subscribed', () => ready.then(() => true), 10_000);
      const sse = await fetch(`${web}/api/sse`);
      assert.equal(await sse.text(), 'data: one\n\ndata: two\n\n');
      const done = await waitFor('the SSE entry, ended, on the stream', () => frames.find((f) => f.url === '/api/sse' && f.duration_ms !== null));
      assert.equal(done.kind, 'sse');
      assert.equal(done.status, 200);
      assert.equal(done.response_body?.size, 'data: one\n\ndata: two\n\n'.length);
      // It was news when it began and when its stream opened, too.
      assert.ok(frames.some((f) => f.id === done.id && f.duration_ms === null));
    } finally {
      ctl.abort();
    }
  });

  test('a WebSocket is one entry of kind websocket: 101, its upstream, ended when it closes', async () => {
    const ws = new WebSocket(`${web.replace('http', 'ws')}/api/ws`);
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    const echo = new Promise<string>((resolve) => ws.once('message', (m: Buffer) => resolve(m.toString())));
    ws.send('ping');
    assert.equal(await echo, 'echo:ping');
    const open = await waitFor('the open WebSocket in the ring', async () => (await list()).requests.find((c) => c.url === '/api/ws' && c.status === 101));
    assert.equal(open.kind, 'websocket');
    assert.equal(open.duration_ms, null, 'still open');
    assert.deepEqual(open.upstream, { key: 'web_api', generation: 1 });
    assert.equal(header(open.response_headers, 'upgrade')?.toLowerCase(), 'websocket');
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.close();
    await closed;
    const ended = await endedCapture('/api/ws');
    assert.equal(ended.id, open.id);
    assert.equal(ended.status, 101);
  });

  test('replay of a POST reaches the upstream and is captured; edits apply', async () => {
    await (await fetch(`${web}/api/echo`, { method: 'POST', body: 'first', headers: { 'content-type': 'text/plain' } })).text();
    const orig = await endedCapture('/api/echo');
    const r = await rpc('POST', `/requests/${orig.id}/replay`, {});
    assert.equal(r.status, 200, r.body);
    const result = JSON.parse(r.body) as ReplayResult;
    assert.equal(result.status, 200);
    assert.deepEqual(JSON.parse(result.body.text ?? ''), { method: 'POST', url: '/echo', body: 'first', auth: null });
    assert.ok(result.id !== null && result.id > orig.id);
    const replayed = JSON.parse((await rpc('GET', `/requests/${result.id}`)).body) as CapturedRequest;
    assert.equal(replayed.method, 'POST');
    assert.equal(replayed.route, '/api/');
    assert.equal(replayed.request_body?.text, 'first');
    assert.equal(replayed.status, 200);
    // Edited: another body and header; the upstream sees them.
    const edited = await rpc('POST', `/requests/${orig.id}/replay`, { method: 'PUT', url: '/api/echo?v=2', headers: [['content-type', 'text/plain'], ['authorization', 'Bearer edited']], body: 'second' });
    assert.equal(edited.status, 200, edited.body);
    const e = JSON.parse(edited.body) as ReplayResult;
    assert.deepEqual(JSON.parse(e.body.text ?? ''), { method: 'PUT', url: '/echo?v=2', body: 'second', auth: 'Bearer edited' });
    const bad = await rpc('POST', `/requests/${orig.id}/replay`, { method: 'GET', url: 'no-slash', headers: [], body: null });
    assert.equal(bad.status, 400);
    const badHeader = await rpc('POST', `/requests/${orig.id}/replay`, { method: 'GET', url: '/api/x', headers: [['bad name', 'v']], body: null });
    assert.equal(badHeader.status, 400, badHeader.body);
  });

  test('--har is HAR 1.2 with secrets redacted by default; --secrets keeps them', async () => {
    await (await fetch(`${web}/api/secret`, { headers: { authorization: 'Bearer s3cret-token', cookie: 'sid=cookie-secret; theme=dark' } })).text();
    await endedCapture('/api/secret');
    const r = await rig.run(['requests', '--har', '-n', '3'], { cwd: P() });
    assert.equal(r.code, 0, r.stderr);
    const har = JSON.parse(r.stdout) as { log: { entries: { request: { url: string; headers: { name: string; value: string }[]; cookies: { name: string; value: string }[] }; response: { headers: { name: string; value: string }[] }; timings: Record<string, number> }[] } };
    valid('har', har, 'requests --har');
    assert.equal(har.log.entries.length, 3);
    const entry = har.log.entries.at(-1);
    assert.ok(entry);
    assert.match(entry.request.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/secret$/);
    // Headers and cookies, that is (the upstream's echo of it in a body is the body).
    const exposed = JSON.stringify(har.log.entries.map((e) => [e.request.headers, e.request.cookies, e.response.headers]));
    assert.doesNotMatch(exposed, /s3cret-token|cookie-secret|upstream-secret/);
    assert.equal(entry.request.headers.find((h) => h.name.toLowerCase() === 'authorization')?.value, '[redacted]');
    assert.deepEqual(entry.request.cookies.map((c) => c.name), ['sid', 'theme']);
    assert.equal(entry.response.headers.find((h) => h.name.toLowerCase() === 'set-cookie')?.value, '[redacted]');
    assert.equal(entry.timings.blocked, -1);
    assert.equal(entry.timings.dns, -1);
    assert.equal(entry.timings.connect, -1);
    const open = await rig.run(['requests', '--har', '--secrets', '-n', '1'], { cwd: P() });
    assert.equal(open.code, 0, open.stderr);
    valid('har', JSON.parse(open.stdout), 'requests --har --secrets');
    assert.match(open.stdout, /Bearer s3cret-token/);
    assert.match(open.stdout, /sid=upstream-secret/);
  });

  test('-f prints each request as it ends, filtered, until interrupted', async () => {
    const f = rig.start(['requests', '--json', '-f', '-n', '1', '--status', '2xx'], { cwd: P() });
    const exited = new Promise<number | null>((resolve) => f.once('close', (code) => resolve(code)));
    const followed = () => f.output().stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CapturedRequest & { proxy: string });
    // Until it is subscribed, a request may come too early to be followed: send one per look.
    let i = 0;
    await waitFor('a followed request on stdout', async () => {
      await (await fetch(`${web}/api/follow${i++}`)).text();
      return followed().some((l) => l.url.startsWith('/api/follow'));
    }, 15_000, 100);
    await (await fetch(`${web}/api/fail`)).text();
    await (await fetch(`${web}/api/after-fail`, { method: 'POST', body: 'b' })).text();
    const last = await waitFor('the request after the 500', () => followed().find((l) => l.url === '/api/after-fail'));
    valid('requests', last, 'requests -f --json line');
    assert.equal(last.request_body?.text, 'b', 'with bodies');
    assert.ok(followed().every((l) => l.status !== null && l.status < 300), 'the 500 is filtered out');
    f.kill('SIGINT');
    assert.equal(await exited, 0);
  });

  test(`the ring keeps only the last ${KEEP}`, async () => {
    for (let i = 0; i < KEEP + 4; i++) await (await fetch(`${web}/api/n${i}`)).text();
    await endedCapture(`/api/n${KEEP + 3}`);
    const l = await list();
    assert.equal(l.limit, KEEP);
    assert.equal(l.requests.length, KEEP);
    assert.deepEqual(l.requests.map((c) => c.id), Array.from({ length: KEEP }, (_, i) => l.last_id - KEEP + 1 + i));
    assert.equal((await rpc('GET', `/requests/${l.last_id - KEEP}`)).status, 404, 'the one before is gone');
    assert.equal((await requestsJson('-n', '100')).length, KEEP);
    // after= pages forward from an id.
    assert.deepEqual((await list(`?after=${l.last_id - 2}`)).requests.map((c) => c.id), [l.last_id - 1, l.last_id]);
  });
});

describe('devport requests without a capturing proxy', () => {
  let r2: Rig;
  after(async () => {
    await r2.run(['down'], { cwd: r2.path('p') });
    assert.deepEqual(await r2.cleanup(), [], 'processes left behind');
  });

  test('NOT_RUNNING when nothing runs, CAPTURE_OFF with capture = false', async () => {
    r2 = new Rig('devport-requests-off-');
    r2.write('p/public/index.html', 'hi');
    r2.write('p/devport.toml', '[[service]]\ntype = "proxy"\nname = "site"\ncapture = false\n  [[service.routes]]\n  path = "/"\n  type = "static"\n  root = "public"\n');
    const none = await r2.run(['requests', '--json'], { cwd: r2.path('p') });
    assert.equal(none.code, 1);
    const e1 = JSON.parse(none.stderr) as { code: string; hint: string };
    valid('error', e1, 'requests with nothing running');
    assert.equal(e1.code, 'NOT_RUNNING');
    const human = await r2.run(['requests'], { cwd: r2.path('p') });
    assert.match(human.stderr, /^error\[NOT_RUNNING\]: nothing of this stack is running\nhint: start it with `devport up`/);
    const up = await r2.run(['up', '--daemon', '--no-tmux'], { cwd: r2.path('p'), timeoutMs: 60_000 });
    assert.equal(up.code, 0, up.stderr);
    const off = await r2.run(['requests', '--json'], { cwd: r2.path('p') });
    assert.equal(off.code, 1);
    const e2 = JSON.parse(off.stderr) as { code: string };
    valid('error', e2, 'requests with capture off');
    assert.equal(e2.code, 'CAPTURE_OFF');
  });
});
