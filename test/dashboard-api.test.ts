// The dashboard's API against a real stack (`up --dashboard`): who may talk
// to it (token, Host, Origin), what it says (/api/state), and that a change
// reaches /api/stream as it happens.

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { loopbackHost, ownOrigin } from '../src/dashboard/auth.js';
import type { NodeView, Snapshot, StreamFrame } from '../src/dashboard/types.js';
import { Rig, waitFor } from './rig.js';
import { frameData, sseFrames } from '../src/rpc/sse.js';

let rig: Rig;
let base = '';
let port = 0;
let token = '';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers (fetch would not let a test set Host). */
function request(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const bearer = () => ({ authorization: `Bearer ${token}` });

/** Frames of /api/stream until `until` says stop (or the deadline passes). */
function readStream(until: (f: StreamFrame, all: StreamFrame[]) => boolean, onOpen: () => void, timeoutMs = 10_000): Promise<StreamFrame[]> {
  return new Promise((resolve, reject) => {
    const frames: StreamFrame[] = [];
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      ctl.abort();
      reject(new Error(`stream: no matching frame in ${timeoutMs} ms; got ${frames.length}`));
    }, timeoutMs);
    const req = http.request({ host: '127.0.0.1', port, path: '/api/stream', headers: { host: `127.0.0.1:${port}`, ...bearer() }, agent: false, signal: ctl.signal }, (res) => {
      res.setEncoding('utf8');
      res.on(
        'data',
        sseFrames((frame) => {
          if (!frame.startsWith('data: ')) return;
          const f = JSON.parse(frameData(frame)) as StreamFrame;
          frames.push(f);
          if (frames.length === 1) onOpen();
          if (until(f, frames)) {
            clearTimeout(timer);
            ctl.abort();
            resolve(frames);
          }
        }),
      );
    });
    req.on('error', (err) => (ctl.signal.aborted ? undefined : reject(err)));
    req.end();
  });
}

describe('dashboard API', () => {
  before(async () => {
    rig = new Rig('devport-dashboard-api-');
    rig.write(
      'p/devport.toml',
      `[[service]]
name = "api"
command = ["node", "-e", "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"]
`,
    );
    const r = await rig.run(['up', '--daemon', '--no-tmux', '--dashboard'], { cwd: rig.path('p'), timeoutMs: 60_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
    const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+)/.exec(r.stdout);
    assert.ok(m, `the summary shows the dashboard's URL with its token:\n${r.stdout}`);
    port = Number(m[1]);
    token = m[2] ?? '';
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await rig.run(['down'], { cwd: rig.path('p') });
    const left = await rig.cleanup();
    assert.deepEqual(left, [], 'processes left behind');
  });

  test('the token: none → 401, a wrong one → 401, Bearer or the cookie → 200', async () => {
    assert.equal((await request('GET', '/api/state')).status, 401);
    assert.equal((await request('GET', '/api/state', { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await request('GET', '/', {})).status, 401, 'the page itself needs the token too');
    const good = await request('GET', '/api/state', bearer());
    assert.equal(good.status, 200);
    const snap = JSON.parse(good.body) as Snapshot;
    assert.deepEqual(snap.nodes.map((n) => n.key).sort(), ['_dashboard', 'api']);
    const api = snap.nodes.find((n) => n.key === 'api') as NodeView;
    assert.equal(api.state, 'healthy');
    assert.equal(api.alive, true);
    assert.ok(api.pid && api.port && api.url && api.generation === 1 && api.started_at);
    assert.equal(snap.self, '_dashboard');
    // The URL's token becomes an HttpOnly, SameSite=Strict cookie and leaves the address bar.
    const open = await request('GET', `/?token=${token}`);
    assert.equal(open.status, 303);
    assert.equal(open.headers.location, '/');
    const cookie = String(open.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const jar = cookie.split(';')[0] ?? '';
    assert.equal((await request('GET', '/api/state', { cookie: jar })).status, 200);
    assert.equal((await request('GET', '/', { cookie: jar })).status, 200);
    assert.equal((await request('GET', `/?token=${token}x`)).status, 401);
  });

  test('a Host that is not a loopback name of the dashboard → 403 (DNS rebinding), even with the token', async () => {
    for (const host of [`evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `127.0.0.1:${port + 1}`, 'localhost']) {
      assert.equal((await request('GET', '/api/state', { ...bearer(), host })).status, 403, host);
    }
    for (const host of [`localhost:${port}`, `[::1]:${port}`]) assert.equal((await request('GET', '/api/state', { ...bearer(), host })).status, 200, host);
  });

  test('a POST from another origin → 403; a cookie POST needs the own Origin', async () => {
    const jar = String((await request('GET', `/?token=${token}`)).headers['set-cookie']).split(';')[0] ?? '';
    assert.equal((await request('POST', '/api/services/api/start', { ...bearer(), origin: 'http://evil.example' })).status, 403);
    assert.equal((await request('POST', '/api/services/api/start', { cookie: jar, origin: `http://127.0.0.1:${port + 1}` })).status, 403);
    assert.equal((await request('POST', '/api/services/api/start', { cookie: jar })).status, 403, 'a cookie alone (no Origin) is not enough for a POST');
    const own = await request('POST', '/api/services/api/start', { cookie: jar, origin: base });
    assert.equal(own.status, 200, own.body);
    assert.equal((await request('POST', '/api/services/nope/restart', bearer())).status, 404);
    assert.equal((await request('POST', '/api/services/_dashboard/stop', bearer())).status, 409, 'the dashboard does not stop itself');
  });

  test('the token file is private to its owner', () => {
    assert.equal(statSync(rig.path('p', '.devport', '_dashboard', 'token')).mode & 0o777, 0o600);
  });

  test('/api/stream: the snapshot, then a restart as it happens', async () => {
    const t0 = { at: 0 };
    const frames = await readStream(
      (f) => f.kind === 'node' && f.node.key === 'api' && f.node.generation === 2 && f.node.state === 'healthy',
      () => {
        t0.at = Date.now();
        void request('POST', '/api/services/api/restart', bearer()).then((r) => assert.equal(r.status, 202, r.body));
      },
    );
    const first = frames[0];
    assert.equal(first?.kind, 'snapshot');
    const states = frames.flatMap((f) => (f.kind === 'node' && f.node.key === 'api' ? [f.node.state] : []));
    assert.ok(states.includes('starting'), `the stream carried the transitions: ${states.join(' → ')}`);
  });

  test('/api/logs: the current run, then what the service prints', async () => {
    const r = await waitFor('a log frame', async () => {
      const res = await new Promise<string>((resolve) => {
        const ctl = new AbortController();
        let got = '';
        const req = http.get({ host: '127.0.0.1', port, path: '/api/logs/_dashboard', headers: { host: `127.0.0.1:${port}`, ...bearer() }, agent: false, signal: ctl.signal }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            got += d;
            if (got.includes('\n\n')) {
              ctl.abort();
              resolve(got);
            }
          });
        });
        req.on('error', () => resolve(got));
      });
      return res.includes('dashboard listening') ? res : undefined;
    });
    assert.match(r, /^data: \{"key":"_dashboard"/);
  });

  test('a sidecar SIGKILLed from outside shows as dead; started again from the API, it is followed again', async () => {
    const sidecar = (JSON.parse((await request('GET', '/api/state', bearer())).body) as Snapshot).nodes.find((n) => n.key === 'api');
    assert.ok(sidecar?.alive);
    const pid = Number(JSON.parse(readFileSync(rig.path('p', '.devport', 'api', 'state.json'), 'utf8')).supervisor.pid);
    const frames = await readStream(
      (f, all) => f.kind === 'node' && f.node.key === 'api' && f.node.alive && all.some((x) => x.kind === 'node' && x.node.key === 'api' && x.node.state === 'dead') && f.node.state === 'healthy',
      () => {
        process.kill(pid, 'SIGKILL');
        // Once the stream says so, the service is started again through the dashboard.
        void waitFor('api dead', async () => {
          const n = (JSON.parse((await request('GET', '/api/state', bearer())).body) as Snapshot).nodes.find((x) => x.key === 'api');
          return n?.state === 'dead' ? n : undefined;
        }).then(() => request('POST', '/api/services/api/start', bearer()).then((r) => assert.equal(r.status, 202, r.body)));
      },
      20_000,
    );
    const states = frames.flatMap((f) => (f.kind === 'node' && f.node.key === 'api' ? [`${f.node.state}${f.node.alive ? '' : '(no sidecar)'}`] : []));
    assert.ok(states.includes('dead(no sidecar)'), states.join(' → '));
  });

  test('the plan: `up --dry-run --dashboard` shows the node, and no service gets its port in its env', async () => {
    const r = await rig.run(['up', '--dry-run', '--dashboard'], { cwd: rig.path('p') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /_dashboard\s+dashboard\s+\d+\*?\s+http:\/\/127\.0\.0\.1:/);
    assert.doesNotMatch(r.stdout, /_DASHBOARD_(PORT|URL)/);
  });

  test('auth rules, one by one', () => {
    assert.ok(loopbackHost(`127.0.0.1:${port}`, port) && loopbackHost(`LOCALHOST:${port}`, port) && loopbackHost(`[::1]:${port}`, port));
    assert.ok(!loopbackHost(undefined, port) && !loopbackHost(`127.0.0.2:${port}`, port) && !loopbackHost(`localhost.evil.example:${port}`, port) && !loopbackHost(`[::ffff:127.0.0.1]:${port}`, port));
    assert.ok(ownOrigin(`http://localhost:${port}`, port) && !ownOrigin(`https://127.0.0.1:${port}`, port) && !ownOrigin('null', port) && !ownOrigin(`http://127.0.0.1:${port}/x`, port));
  });

  test('a later `up` without --dashboard leaves the running dashboard alone', async () => {
    const r = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: rig.path('p'), timeoutMs: 60_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout, /_dashboard\s+no longer/);
    assert.ok(r.stdout.includes(`${base}/?token=${token}`), `the same dashboard, same token:\n${r.stdout}`);
    assert.equal((await request('GET', '/api/state', bearer())).status, 200);
  });

  test('`devport dashboard --url` prints the URL; `ls` lists the node; a foreground dashboard answers too', async () => {
    const u = await rig.run(['dashboard', '--url'], { cwd: rig.path('p') });
    assert.equal(u.stdout.trim(), `${base}/?token=${token}`);
    const ls = await rig.run(['ls'], { cwd: rig.path('p') });
    assert.match(ls.stdout, /"key":"_dashboard".*"alive":true/);
    const fg = rig.start(['dashboard', '--json'], { cwd: rig.path('p') });
    const line = await waitFor('the foreground dashboard URL', () => fg.output().stdout.split('\n')[0]?.trim() || undefined);
    const { url } = JSON.parse(line) as { url: string };
    const u2 = new URL(url);
    assert.equal(u2.hostname, '127.0.0.1');
    assert.notEqual(u2.searchParams.get('token'), token, 'every dashboard has its own token');
    const res = await fetch(`${u2.origin}/api/state`, { headers: { authorization: `Bearer ${u2.searchParams.get('token')}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Snapshot).self, null);
    const closed = new Promise((r) => fg.once('close', r));
    fg.kill('SIGINT');
    await closed;
    assert.equal(fg.exitCode, 0);
  });

  test('POST /api/stack/down stops every service, then the dashboard itself', async () => {
    const r = await request('POST', '/api/stack/down', bearer());
    assert.equal(r.status, 200, r.body);
    const ls = await waitFor('every node stopped', async () => {
      const out = (await rig.run(['ls'], { cwd: rig.path('p') })).stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; alive: boolean });
      return out.every((l) => !l.alive) ? out : undefined;
    });
    assert.deepEqual(ls.map((l) => l.key).sort(), ['_dashboard', 'api']);
  });
});
