// The proxy as a service of a real stack: exec upstreams with their own
// sidecars, a request held across a restart, the 502 page, a real Vite server.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { rpcRequest } from '../src/rpc/client.js';
import type { StateFile } from '../src/state/types.js';
import { REPO, Rig, waitFor } from './rig.js';

let rig: Rig;
afterEach(async () => {
  const left = await rig.cleanup();
  assert.deepEqual(left, [], 'processes left behind');
});

const P = () => rig.path('p');
const stateOf = (key: string) => JSON.parse(readFileSync(rig.path('p', '.devport', key, 'state.json'), 'utf8')) as StateFile;

async function up(): Promise<string> {
  const r = await rig.run(['up', '--daemon'], { cwd: P(), timeoutMs: 60_000 });
  assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
  return stateOf('web').state.url ?? '';
}

async function fetchText(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

const API = `
const http = require('http');
console.log('api: booting, pid ' + process.pid);
console.log('api: loading routes');
// Output is private to the user (output.log is 0600): the 502 page must not show it.
console.log('api: db password hunter2-e2e');
// Slow to start: a restart leaves a window in which requests must be held.
setTimeout(() => http.createServer((q, s) => s.end(JSON.stringify({ pid: process.pid, url: q.url }))).listen(process.env.PORT, '127.0.0.1'), Number(process.env.DELAY || 0));
process.on('SIGTERM', () => process.exit(0));
`;

describe('proxy in a stack', () => {
  test('routes to exec upstreams, holds across a restart, 502 page when down, 508 on a loop', async () => {
    rig = new Rig('devport-proxy-e2e-');
    rig.write('p/api.js', API);
    rig.write('p/public/index.html', '<h1>site</h1>');
    rig.write('p/devport.toml', `
[[service]]
type = "proxy"
name = "web"
  [[service.routes]]
  name = "api"
  path = "/api/"
  strip_prefix = true
  command = ["node", "api.js"]
  env = { DELAY = "600" }
    [service.routes.health]
    interval = "50ms"
  [[service.routes]]
  name = "loop"
  path = "/loop/"
  type = "http"
  url = "\${WEB_URL}"
  [[service.routes]]
  name = "site"
  path = "/"
  type = "static"
  root = "public"
`);
    const web = await up();
    assert.match(web, /^http:\/\/127\.0\.0\.1:\d+$/);
    const first = JSON.parse((await fetchText(`${web}/api/items?x=1`)).body) as { pid: number; url: string };
    assert.equal(first.url, '/items?x=1');
    assert.equal((await fetchText(`${web}/`)).body, '<h1>site</h1>');

    // Restart the upstream; a request sent while it is down is held and then answered by the new child.
    const apiDir = rig.path('p', '.devport', 'web_api');
    assert.equal((await rpcRequest(apiDir, 'POST', '/restart')).status, 202);
    await waitFor('api restarting', () => stateOf('web_api').state.generation === 2 && stateOf('web_api').state.state === 'starting');
    const t0 = Date.now();
    const held = await fetchText(`${web}/api/held`);
    assert.equal(held.status, 200, held.body);
    const second = JSON.parse(held.body) as { pid: number };
    assert.notEqual(second.pid, first.pid, 'answered by the new generation');
    assert.ok(Date.now() - t0 >= 200, 'the request waited for the restart');

    // A loop through the proxy's own URL is cut at 508.
    const loop = await fetchText(`${web}/loop/x`);
    assert.equal(loop.status, 508);

    // Stop the upstream: a 502 page naming the route, the upstream and its state, not its output.
    await rpcRequest(apiDir, 'POST', '/stop');
    await waitFor('api stopped', () => stateOf('web_api').state.state === 'stopped');
    const page = await fetchText(`${web}/api/x`, { accept: 'text/html' });
    assert.equal(page.status, 502);
    assert.match(page.type, /^text\/html/);
    assert.match(page.body, /Route \/api\/ \(api\) could not reach its upstream: it is not running\./);
    assert.match(page.body, /Upstream: web_api on 127\.0\.0\.1:\d+, state: stopped/);
    assert.match(page.body, /devport logs web_api/);
    assert.doesNotMatch(page.body, /hunter2|api: loading routes/);
    const plain = await fetchText(`${web}/api/x`);
    assert.match(plain.type, /^text\/plain/);
    assert.match(plain.body, /^502 Bad Gateway\n/);
    assert.match(plain.body, /devport logs web_api/);
    assert.doesNotMatch(plain.body, /hunter2|api: loading routes/);

    // The access lines are in the proxy's output.
    const logs = await rig.run(['logs', 'web', '-n', '50'], { cwd: P() });
    assert.match(logs.stdout, /web \| GET \/api\/held → api 200 \d+\.\dms/);
    assert.match(logs.stdout, /web \| GET \/api\/x → api 502 \d+\.\dms/);
    // The secret the page kept back is where the page points: devport logs.
    assert.match((await rig.run(['logs', 'web_api', '-n', '50'], { cwd: P() })).stdout, /hunter2-e2e/);
    assert.equal((await rig.run(['down'], { cwd: P() })).code, 0);
  });
});

describe('a real Vite dev server behind the proxy', () => {
  test('the page loads through the proxy and the vite-hmr WebSocket gets "connected"', async () => {
    rig = new Rig('devport-vite-');
    rig.write('p/index.html', '<!doctype html><html><body><h1>vite through devport</h1><script type="module" src="/main.js"></script></body></html>\n');
    rig.write('p/main.js', 'document.querySelector("h1").dataset.ok = "1";\n');
    const vite = path.join(REPO, 'node_modules', 'vite', 'bin', 'vite.js');
    rig.write('p/devport.toml', `
[[service]]
type = "proxy"
name = "app"
  [[service.routes]]
  name = "vite"
  path = "/"
  command = ["node", ${JSON.stringify(vite)}, "--port", "\${PORT}", "--strictPort", "--host", "127.0.0.1"]
    [service.routes.health]
    type = "http"
    path = "/"
`);
    const r = await rig.run(['up', '--daemon'], { cwd: P(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
    const app = JSON.parse(readFileSync(rig.path('p', '.devport', 'app', 'state.json'), 'utf8')).state.url as string;
    const page = await fetchText(`${app}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<script type="module" src="\/@vite\/client"><\/script>/);
    assert.match(page.body, /vite through devport/);
    const client = await fetchText(`${app}/@vite/client`);
    const token = /const wsToken = "([^"]+)"/.exec(client.body)?.[1];
    assert.ok(token, 'the HMR token from /@vite/client');
    const ws = new WebSocket(`${app.replace('http', 'ws')}/?token=${token}`, 'vite-hmr');
    const message = await new Promise<string>((resolve, reject) => {
      ws.once('message', (m) => resolve(m.toString()));
      ws.once('error', reject);
      setTimeout(() => reject(new Error('no message from Vite in 10 s')), 10_000);
    });
    assert.equal(ws.protocol, 'vite-hmr');
    assert.equal(JSON.parse(message).type, 'connected');
    ws.close();
    assert.equal((await rig.run(['down'], { cwd: P() })).code, 0);
  });
});
