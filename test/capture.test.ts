// The capture ring and the HAR builder in process: bodies teed through a real
// Router to a real upstream (uploads intact, kept up to 64 KiB, true size),
// UTF-8 cut inside a character, the memory budget, redaction.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { PlanNode } from '../src/plan/types.js';
import { AccessLog } from '../src/proxy/access-log.js';
import { BodyTap, encodeBody } from '../src/proxy/body-tap.js';
import { BODY_BUDGET, CaptureRing } from '../src/proxy/capture.js';
import type { CapturedRequest } from '../src/proxy/capture-types.js';
import { destroyAgents } from '../src/proxy/forward.js';
import { REDACTED, toHar } from '../src/proxy/har.js';
import { Router } from '../src/proxy/router.js';
import { Upstreams } from '../src/proxy/upstreams.js';

describe('a router with capture on', () => {
  let upstream: http.Server;
  let router: Router;
  let port = 0;
  const ring = new CaptureRing(20);

  before(async () => {
    // Answers with the sha256 and length of what it received.
    upstream = http.createServer((req, res) => {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (d: Buffer) => (h.update(d), (n += d.length)));
      req.on('end', () => res.end(JSON.stringify({ n, sha: h.digest('hex') })));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const up = (upstream.address() as { port: number }).port;
    const node = {
      key: 'web', name: 'web', prefix: 'WEB', kind: 'proxy', parent: null, command: [], cwd: '/', port: 0, portSource: 'allocated', host: '127.0.0.1',
      url: null, ownEnv: {}, env: {}, envNames: [], health: { type: 'tcp', intervalMs: 200, timeoutMs: 30000, probeTimeoutMs: 2000, recheckIntervalMs: 2000, settleMs: 300, url: null, command: null, expectStatus: null },
      restart: 'on-failure', stopSignal: 'SIGTERM', stopTimeoutMs: 5000, dependsOn: [], watch: [], watchIgnore: [], watchDebounceMs: 50, reloadSignal: null, build: null, compose: null,
      proxy: { holdTimeoutMs: 1000, routes: [{ type: 'http', prefix: '/', name: 'up', url: `http://127.0.0.1:${up}`, stripPrefix: false, fallthrough: false, changeOrigin: false }] },
    } as unknown as PlanNode;
    router = new Router({ node, upstreams: new Upstreams({ nodes: [], stateDir: '/nonexistent' } as never, []), log: new AccessLog(() => {}), capture: ring });
    await router.listen('127.0.0.1', 0);
    port = (router.server.address() as { port: number }).port;
  });
  after(async () => {
    await router.close(0);
    upstream.close();
    destroyAgents();
  });

  async function upload(body: Buffer, chunked: boolean): Promise<{ n: number; sha: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', agent: false, headers: chunked ? { 'content-type': 'application/octet-stream' } : { 'content-type': 'application/octet-stream', 'content-length': body.length } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(JSON.parse(text) as { n: number; sha: string }));
      });
      req.on('error', reject);
      if (chunked) {
        // In pieces, so the tee sees several chunks.
        for (let i = 0; i < body.length; i += 10_000) req.write(body.subarray(i, i + 10_000));
        req.end();
      } else req.end(body);
    });
  }

  for (const chunked of [false, true]) {
    test(`an upload of 200 KiB (${chunked ? 'chunked' : 'content-length'}) reaches the upstream whole; its first 64 KiB are kept, with the true size`, async () => {
      const body = Buffer.alloc(200 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 251;
      const got = await upload(body, chunked);
      assert.equal(got.n, body.length);
      assert.equal(got.sha, createHash('sha256').update(body).digest('hex'));
      const c = ring.list(undefined, 1)[0];
      assert.ok(c?.done);
      const j = ring.toJSON(c, true);
      assert.equal(j.request_body?.size, body.length);
      assert.equal(j.request_body?.truncated, true);
      assert.equal(j.request_body?.encoding, 'base64');
      assert.deepEqual(Buffer.from(j.request_body?.text ?? '', 'base64'), body.subarray(0, 64 * 1024));
      assert.equal(j.route, '/');
      assert.equal(j.upstream, null, 'an http route has no exec upstream');
      assert.equal(j.status, 200);
    });
  }
});

describe('bodies', () => {
  test('a truncated UTF-8 body cut inside a character is still text', () => {
    const tap = new BodyTap();
    tap.add(Buffer.from('a'.repeat(64 * 1024 - 1)));
    tap.add(Buffer.from('é and more'));
    tap.seal();
    const j = tap.toJSON('text/plain; charset=utf-8', undefined);
    assert.equal(j.encoding, 'utf8');
    assert.equal(j.truncated, true);
    assert.equal(j.text, 'a'.repeat(64 * 1024 - 1));
    assert.equal(j.size, 64 * 1024 - 1 + Buffer.byteLength('é and more'));
  });

  test('text or base64: by content type, content encoding and NUL bytes', () => {
    const text = Buffer.from('{"a":1}');
    assert.deepEqual(encodeBody(text, 'application/json', undefined, false), { text: '{"a":1}', encoding: 'utf8' });
    assert.deepEqual(encodeBody(text, 'application/json', 'gzip', false), { text: text.toString('base64'), encoding: 'base64' });
    assert.deepEqual(encodeBody(text, 'image/png', undefined, false), { text: text.toString('base64'), encoding: 'base64' });
    assert.equal(encodeBody(Buffer.from([0x61, 0, 0x62]), undefined, undefined, false).encoding, 'base64');
    assert.equal(encodeBody(Buffer.from([0xff, 0xfe]), 'text/plain', undefined, false).encoding, 'base64', 'not UTF-8');
  });

  test(`the ring drops the oldest bodies past ${BODY_BUDGET / 2 ** 20} MiB, keeping their sizes`, () => {
    const ring = new CaptureRing(1000);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const n = BODY_BUDGET / chunk.length + 10;
    for (let i = 0; i < n; i++) {
      const c = ring.begin('http', 'GET', `/${i}`, []);
      c.responseStarted(200, false);
      c.responseBody().add(Buffer.concat([chunk]));
      c.finish('/', 200, 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n', null);
    }
    const first = ring.toJSON(ring.get(1)!, true);
    assert.deepEqual(first.response_body, { size: chunk.length, text: null, encoding: 'utf8', truncated: false });
    const last = ring.toJSON(ring.get(n)!, true);
    assert.equal(last.response_body?.text?.length, chunk.length);
  });
});

describe('HAR', () => {
  const c: CapturedRequest = {
    id: 7, kind: 'http', started_at: '2026-12-02T07:00:00.000Z', method: 'POST', url: '/api/x?a=1&b=two%20words', route: '/api/', upstream: { key: 'web_api', generation: 3 },
    status: 201, duration_ms: 12.5, wait_ms: 10, error: null,
    request_headers: [['Authorization', 'Bearer t'], ['Cookie', 'sid=1; theme=dark'], ['Content-Type', 'application/json']],
    response_headers: [['Set-Cookie', 'sid=2; Path=/'], ['Content-Type', 'application/json']],
    request_body: { size: 7, text: '{"a":1}', encoding: 'utf8', truncated: false },
    response_body: { size: 2, text: 'ok', encoding: 'utf8', truncated: false },
  };

  test('an entry: URL from the origin when there is no Host, query string, timings, redaction', () => {
    const har = toHar([c], { origin: 'http://127.0.0.1:8080' });
    const e = har.log.entries[0]!;
    assert.equal(e.request.url, 'http://127.0.0.1:8080/api/x?a=1&b=two%20words');
    assert.deepEqual(e.request.queryString, [{ name: 'a', value: '1' }, { name: 'b', value: 'two words' }]);
    assert.deepEqual(e.timings, { blocked: -1, dns: -1, connect: -1, send: 0, wait: 10, receive: 2.5, ssl: -1 });
    assert.equal(e.time, 12.5);
    assert.equal(e.request.headers[0]?.value, REDACTED);
    assert.deepEqual(e.request.cookies, [{ name: 'sid', value: REDACTED }, { name: 'theme', value: REDACTED }]);
    assert.deepEqual(e.response.cookies, [{ name: 'sid', value: REDACTED }]);
    assert.equal(e.response.statusText, 'Created');
    assert.deepEqual(e.request.postData, { mimeType: 'application/json', text: '{"a":1}' });
    const open = toHar([c], { secrets: true }).log.entries[0]!;
    assert.equal(open.request.headers[0]?.value, 'Bearer t');
    assert.deepEqual(open.response.cookies, [{ name: 'sid', value: '2' }]);
  });
});
