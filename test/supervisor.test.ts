// The sidecar with real processes: locks, orphans, restarts, stops, rpc.sock, health.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { rpcEvents, rpcRequest } from '../src/rpc/client.js';
import { isLocked } from '../src/state/lock.js';
import type { StateFile } from '../src/state/types.js';
import { isRunning } from '../src/sys/procfs.js';
import { CLI, REPO, Rig, waitFor } from './rig.js';
import { check } from './schema-lite.js';

const rigs: Rig[] = [];
after(async () => {
  for (const r of rigs) assert.deepEqual(await r.cleanup(), [], 'processes left behind');
});

function project(spec: string, files: Record<string, string> = {}, sub = 'p'): { rig: Rig; dir: string } {
  const rig = new Rig('devport-sv-');
  rigs.push(rig);
  rig.write(`${sub}/devport.toml`, spec);
  for (const [f, t] of Object.entries(files)) rig.write(`${sub}/${f}`, t);
  return { rig, dir: rig.path(sub) };
}

function sidecar(rig: Rig, dir: string, key: string, env: Record<string, string> = {}): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, [CLI, '_supervise', '--key', key], { cwd: dir, env: rig.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
  rig.track(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { out: () => out });
}

const stateOf = (dir: string, key: string): StateFile | undefined => {
  try {
    return JSON.parse(readFileSync(path.join(dir, '.devport', key, 'state.json'), 'utf8')) as StateFile;
  } catch {
    return undefined;
  }
};

const waitState = (dir: string, key: string, pred: (s: StateFile) => boolean, what: string, timeoutMs = 10_000) =>
  waitFor(what, () => {
    const s = stateOf(dir, key);
    return s && pred(s) ? s : undefined;
  }, timeoutMs);

const exited = (c: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve({ code: c.exitCode, signal: c.signalCode });
    else c.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** A pid a test process wrote to a file, once the whole number is there (the file exists before it is written). */
const pidFile = (dir: string, name: string) =>
  waitFor(name, () => {
    const f = path.join(dir, name);
    const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
    return /^\d+$/.test(text) ? Number(text) : undefined;
  });

/** Waits for a line in a service's output.log (e.g. a child saying its signal handlers are in place). */
const waitOutput = (dir: string, key: string, text: string) =>
  waitFor(`"${text}" in ${key}'s output`, () => {
    const f = path.join(dir, '.devport', key, 'output.log');
    return existsSync(f) && readFileSync(f, 'utf8').includes(text);
  });

const svc = (name: string, command: string[], extra = '') => `[[service]]\nname = "${name}"\ncommand = ${JSON.stringify(command)}\n${extra}\n`;

const HTTP_SERVER = `require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')`;

describe('the lock', () => {
  for (const mode of ['flock', 'flock-helper'] as const) {
    test(`two sidecars for one key: exactly one runs (${mode})`, async () => {
      const env: Record<string, string> = mode === 'flock-helper' ? { DEVPORT_LOCK: 'flock-helper' } : {};
      const { rig, dir } = project(svc('api', ['node', '-e', HTTP_SERVER]));
      const a = sidecar(rig, dir, 'api', env);
      const s = await waitState(dir, 'api', (x) => x.state.state === 'healthy', 'api healthy');
      assert.equal(s.supervisor.lock, mode);
      assert.equal(s.supervisor.pid, a.pid);
      const b = sidecar(rig, dir, 'api', env);
      const bExit = await exited(b);
      assert.equal(bExit.code, 1);
      assert.match(b.out(), /error\[ALREADY_RUNNING\]: "api" is already supervised by pid \d+/);
      assert.equal(stateOf(dir, 'api')?.supervisor.pid, a.pid, 'the first sidecar still owns the dir');
      assert.equal(isLocked(path.join(dir, '.devport', 'api')), true);
      a.kill('SIGKILL');
      await exited(a);
      // The kernel released the lock with the process: no stale pid file to clean.
      await waitFor('lock released', () => !isLocked(path.join(dir, '.devport', 'api')), 2000, 5);
    });
  }

  test('SIGKILL frees the lock at once; the next sidecar reaps the HUP-ignoring orphan', async () => {
    const stubborn = `process.on('SIGHUP', () => {}); process.on('SIGTERM', () => {}); console.log('armed'); setInterval(() => {}, 1000);`;
    const { rig, dir } = project(svc('w', ['node', '-e', stubborn], 'no_port = true'));
    const a = sidecar(rig, dir, 'w');
    const s1 = await waitState(dir, 'w', (x) => x.state.state === 'healthy', 'w healthy');
    await waitOutput(dir, 'w', 'armed');
    const orphan = s1.state.pid ?? 0;
    a.kill('SIGKILL');
    await exited(a);
    assert.equal(isLocked(path.join(dir, '.devport', 'w')), false, 'lock free right after the SIGKILL');
    assert.equal(isRunning(orphan), true, 'the child outlived its sidecar (it ignores SIGHUP)');
    const b = sidecar(rig, dir, 'w');
    const s2 = await waitState(dir, 'w', (x) => x.supervisor.pid === b.pid && x.state.state === 'healthy', 'new sidecar healthy');
    assert.notEqual(s2.state.pid, orphan);
    assert.equal(isRunning(orphan), false, 'the orphan was reaped before the new child started');
    assert.match(readFileSync(path.join(dir, '.devport', 'w', 'output.log'), 'utf8'), new RegExp(`reaping 1 process\\(es\\) left by a previous sidecar: ${orphan}`));
    b.kill('SIGTERM');
    assert.equal((await exited(b)).code, 0);
  });
});

describe('restarts', () => {
  test('a crashing child is restarted with growing delays and reaches crashloop', async () => {
    const { rig, dir } = project(svc('crash', ['node', '-e', 'process.exit(3)'], 'no_port = true'));
    const a = sidecar(rig, dir, 'crash');
    const sock = path.join(dir, '.devport', 'crash');
    await waitFor('rpc.sock', () => existsSync(path.join(sock, 'rpc.sock')));
    let last: StateFile | undefined;
    const ctl = new AbortController();
    const seen = new Set<string>();
    // The delay each backoff announced (next_restart_at − since), once per attempt. The child
    // starts before rpc.sock is bound, so the first attempt may come before we subscribe.
    const delays: number[] = [];
    const done = rpcEvents(sock, (s) => {
      last = s;
      const id = `${s.state.generation}:${s.state.state}`;
      if ((s.state.state === 'backoff' || s.state.state === 'crashloop') && !seen.has(id)) delays.push(Date.parse(s.state.next_restart_at ?? '') - Date.parse(s.state.since));
      seen.add(id);
      if (s.state.state === 'crashloop') ctl.abort();
    }, ctl.signal);
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`no crashloop; states: ${[...seen].join(' ')}`)), 15_000))]);
    assert.equal(last?.state.state, 'crashloop');
    assert.equal(last?.state.exit_code, 3);
    assert.equal(last?.state.restarts, 4, 'five starts: the first and four restarts');
    assert.equal(last?.state.generation, 5);
    // Delays 250, 500, 1000, 2000 ms, then the crash loop retries at the max delay (30 s).
    const expected = [250, 500, 1000, 2000, 30_000];
    assert.ok(delays.length >= 4, `delays seen: ${delays.join(', ')}`);
    const tail = expected.slice(expected.length - delays.length);
    delays.forEach((d, i) => assert.ok(Math.abs(d - (tail[i] ?? 0)) <= 5, `delays ${delays.join(', ')}, expected ${tail.join(', ')}`));
    a.kill('SIGTERM');
    assert.equal((await exited(a)).code, 0);
  });

  test('restart = "never" stays exited with its code', async () => {
    const { rig, dir } = project(svc('once', ['node', '-e', 'setTimeout(() => process.exit(7), 100)'], 'no_port = true\nrestart = "never"'));
    const a = sidecar(rig, dir, 'once');
    const s = await waitState(dir, 'once', (x) => x.state.state === 'exited', 'exited');
    assert.equal(s.state.exit_code, 7);
    assert.equal(s.state.reason, 'exited 7');
    assert.equal(s.state.restarts, 0);
    assert.equal(s.state.pid, null);
    // Still exited a moment later (an rpc round trip, not a sleep: the sidecar answers, state unchanged).
    const r = await rpcRequest(path.join(dir, '.devport', 'once'), 'GET', '/state');
    assert.equal((JSON.parse(r.body) as StateFile).state.state, 'exited');
    a.kill('SIGTERM');
    await exited(a);
  });

  test('a task ends completed, or failed with its exit code', async () => {
    const { rig, dir } = project(svc('ok', ['node', '-e', 'console.log("seeded")'], 'type = "task"') + svc('bad', ['node', '-e', 'process.exit(4)'], 'type = "task"'));
    const a = sidecar(rig, dir, 'ok');
    const b = sidecar(rig, dir, 'bad');
    const ok = await waitState(dir, 'ok', (x) => x.state.state === 'completed', 'ok completed');
    const bad = await waitState(dir, 'bad', (x) => x.state.state === 'failed', 'bad failed');
    assert.equal(ok.state.exit_code, 0);
    assert.equal(ok.state.port, null);
    assert.equal(bad.state.exit_code, 4);
    assert.equal(bad.state.reason, 'exited 4');
    assert.equal(bad.state.restarts, 0);
    assert.match(readFileSync(path.join(dir, '.devport', 'ok', 'output.log'), 'utf8'), /seeded/);
    a.kill('SIGTERM');
    b.kill('SIGTERM');
    await Promise.all([exited(a), exited(b)]);
  });

  test('a command that does not exist fails with a clear reason', async () => {
    const { rig, dir } = project(svc('nope', ['no-such-program-xyz'], 'type = "task"'));
    const a = sidecar(rig, dir, 'nope');
    const s = await waitState(dir, 'nope', (x) => x.state.state === 'failed', 'failed');
    assert.equal(s.state.reason, 'command not found: no-such-program-xyz');
    assert.equal(s.state.exit_code, 127);
    a.kill('SIGTERM');
    await exited(a);
  });
});

describe('stop', () => {
  test('a child ignoring SIGTERM is gone within stop_timeout + 1 s, and the reason says so', async () => {
    const { rig, dir } = project(svc('stub', ['node', '-e', "process.on('SIGTERM', () => {}); console.log('armed'); setInterval(() => {}, 1000)"], 'no_port = true\nstop_timeout = "1s"'));
    const a = sidecar(rig, dir, 'stub');
    const s = await waitState(dir, 'stub', (x) => x.state.state === 'healthy', 'healthy');
    await waitOutput(dir, 'stub', 'armed');
    const pid = s.state.pid ?? 0;
    const t0 = Date.now();
    a.kill('SIGTERM');
    assert.equal((await exited(a)).code, 0);
    const took = Date.now() - t0;
    assert.ok(took < 2000, `stopped in ${took} ms`);
    assert.ok(took >= 1000, `waited out the grace period (${took} ms)`);
    assert.equal(isRunning(pid), false);
    const end = stateOf(dir, 'stub');
    assert.equal(end?.state.state, 'stopped');
    assert.equal(end?.state.reason, 'killed after 1000 ms stop timeout');
    assert.equal(isLocked(path.join(dir, '.devport', 'stub')), false);
  });

  test('a second SIGTERM skips the grace period', async () => {
    const { rig, dir } = project(svc('stub', ['node', '-e', "process.on('SIGTERM', () => {}); console.log('armed'); setInterval(() => {}, 1000)"], 'no_port = true\nstop_timeout = "20s"'));
    const a = sidecar(rig, dir, 'stub');
    await waitState(dir, 'stub', (x) => x.state.state === 'healthy', 'healthy');
    await waitOutput(dir, 'stub', 'armed');
    const t0 = Date.now();
    a.kill('SIGTERM');
    await waitState(dir, 'stub', (x) => x.state.state === 'stopping', 'stopping');
    a.kill('SIGTERM');
    assert.equal((await exited(a)).code, 0);
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(stateOf(dir, 'stub')?.state.reason, 'killed at once (forced stop)');
  });

  test('a setsid grandchild is gone after stop', async () => {
    const daemon = `
      const { spawn } = require('child_process');
      const g = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); process.on('SIGHUP', () => {}); setInterval(() => {}, 1000)"], { detached: true, stdio: 'ignore' });
      require('fs').writeFileSync('grandchild.pid', String(g.pid));
      g.unref();
      setInterval(() => {}, 1000);`;
    const { rig, dir } = project(svc('d', ['node', '-e', daemon], 'no_port = true\nstop_timeout = "500ms"'));
    const a = sidecar(rig, dir, 'd');
    await waitState(dir, 'd', (x) => x.state.state === 'healthy', 'healthy');
    const gpid = await pidFile(dir, 'grandchild.pid');
    assert.equal(isRunning(gpid), true);
    a.kill('SIGTERM');
    await exited(a);
    assert.equal(isRunning(gpid), false, 'the setsid grandchild was killed');
  });

  test('a double-forked daemon reparented to init is gone after stop', async () => {
    // The middle process exits at once: the grandchild has no parent link to the child any more.
    const middle = `
      const { spawn } = require('child_process');
      const g = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { detached: true, stdio: 'ignore' });
      require('fs').writeFileSync('daemon.pid', String(g.pid));
      g.unref();`;
    const top = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(middle)}], { stdio: 'ignore' }); setInterval(() => {}, 1000);`;
    const { rig, dir } = project(svc('d2', ['node', '-e', top], 'no_port = true\nstop_timeout = "500ms"'));
    const a = sidecar(rig, dir, 'd2');
    const s = await waitState(dir, 'd2', (x) => x.state.state === 'healthy', 'healthy');
    const dpid = await pidFile(dir, 'daemon.pid');
    const stat = await waitFor('daemon reparented', () => {
      const f = readFileSync(`/proc/${dpid}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return Number(fields[1]) !== s.state.pid && fields[1] !== undefined ? fields : undefined;
    });
    assert.notEqual(Number(stat[2]), s.state.pgid, 'the daemon left the child\'s process group');
    a.kill('SIGTERM');
    await exited(a);
    assert.equal(isRunning(dpid), false, 'found by its env marker and killed');
  });

  test('a crashed child leaves nothing behind before the next generation starts', async () => {
    // Each child leaves a setsid grandchild (found only by its env marker) and crashes.
    const leaky = `
      const { spawn } = require('child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
      require('fs').writeFileSync('gc-' + process.pid + '.pid', String(g.pid));
      g.unref();
      setTimeout(() => process.exit(1), 700);`;
    const { rig, dir } = project(svc('leaky', ['node', '-e', leaky], 'no_port = true\nstop_timeout = "500ms"'));
    const a = sidecar(rig, dir, 'leaky');
    await waitState(dir, 'leaky', (x) => x.state.generation >= 3, 'third generation');
    // Exactly the current child and its own grandchild carry the marker: every earlier
    // generation's processes were gone before the next child started.
    const checked = await waitFor('a stable look at one generation', () => {
      const before = stateOf(dir, 'leaky')?.state;
      if (!before?.pid) return undefined;
      const gcFile = path.join(dir, `gc-${before.pid}.pid`);
      const text = existsSync(gcFile) ? readFileSync(gcFile, 'utf8') : '';
      if (!/^\d+$/.test(text)) return undefined; // its grandchild is not recorded yet
      const marked = rig.leftovers().filter((p) => !p.cmd.includes('_supervise')).map((p) => p.pid).sort();
      if (stateOf(dir, 'leaky')?.state.pid !== before.pid) return undefined; // a new generation began meanwhile
      return { marked, expected: [before.pid, Number(text)].sort() };
    });
    assert.deepEqual(checked.marked, checked.expected);
    a.kill('SIGTERM');
    await exited(a);
  });
});

describe('output', () => {
  test('output.log rotates at 10 MiB to output.log.1', async () => {
    const writer = `const line = 'x'.repeat(1023) + '\\n'; let n = 0; const big = line.repeat(1024); for (let i = 0; i < 11; i++) process.stdout.write(big); console.log('DONE'); setInterval(() => {}, 1000);`;
    const { rig, dir } = project(svc('big', ['node', '-e', writer], 'no_port = true'));
    const a = sidecar(rig, dir, 'big');
    const log = path.join(dir, '.devport', 'big', 'output.log');
    await waitFor('DONE in output.log', () => existsSync(log) && readFileSync(log, 'utf8').includes('DONE'), 20_000);
    assert.ok(existsSync(`${log}.1`), 'output.log.1 exists');
    assert.ok(statSync(`${log}.1`).size <= 10 * 1024 * 1024);
    assert.ok(statSync(log).size < 10 * 1024 * 1024);
    const total = statSync(log).size + statSync(`${log}.1`).size;
    assert.ok(total >= 11 * 1024 * 1024, `nothing lost: ${total} bytes`);
    a.kill('SIGTERM');
    await exited(a);
  });
});

describe('rpc.sock', () => {
  test('every endpoint', async () => {
    const server = `console.log('line one'); console.log('line two'); ${HTTP_SERVER}`;
    const { rig, dir } = project(svc('api', ['node', '-e', server]));
    const a = sidecar(rig, dir, 'api');
    const sdir = path.join(dir, '.devport', 'api');
    const s1 = await waitState(dir, 'api', (x) => x.state.state === 'healthy', 'healthy');
    assert.equal(statSync(path.join(sdir, 'rpc.sock')).mode & 0o777, 0o600);

    const st = await rpcRequest(sdir, 'GET', '/state');
    assert.equal(st.status, 200);
    // The state is what spec/state.schema.json says it is.
    const schema = JSON.parse(readFileSync(path.join(REPO, 'spec', 'state.schema.json'), 'utf8'));
    assert.deepEqual(check(schema, JSON.parse(st.body)), []);
    assert.deepEqual(check(schema, stateOf(dir, 'api')), []);
    assert.deepEqual((JSON.parse(st.body) as StateFile).state.pid, s1.state.pid);

    const logs = await rpcRequest(sdir, 'GET', '/logs?tail=2');
    assert.equal(logs.status, 200);
    assert.deepEqual(logs.body.split('\n').filter(Boolean).slice(-2), ['line one', 'line two']);

    const events: StateFile[] = [];
    const ctl = new AbortController();
    const stream = rpcEvents(sdir, (s) => {
      events.push(s);
      if (s.state.generation === 2 && s.state.state === 'healthy') ctl.abort();
    }, ctl.signal);
    await waitFor('first SSE frame', () => events.length > 0);
    assert.equal(events[0]?.state.state, 'healthy', 'the state now comes first');

    const rs = await rpcRequest(sdir, 'POST', '/restart');
    assert.equal(rs.status, 202);
    await stream;
    const s2 = events.at(-1);
    assert.equal(s2?.state.generation, 2);
    assert.equal(s2?.state.restarts, 1);
    assert.equal(s2?.state.port, s1.state.port, 'same port');
    assert.notEqual(s2?.state.pid, s1.state.pid);
    assert.ok(events.some((e) => e.state.state === 'starting'), 'the change was streamed');

    const nf = await rpcRequest(sdir, 'GET', '/nope');
    assert.equal(nf.status, 404);

    const stop = await rpcRequest(sdir, 'POST', '/stop');
    assert.equal(stop.status, 202);
    assert.equal((await exited(a)).code, 0);
    assert.equal(stateOf(dir, 'api')?.state.state, 'stopped');
    assert.equal(existsSync(path.join(sdir, 'rpc.sock')), false, 'the socket is removed');
  });

  test('a state dir too deep for a unix socket path still gets an rpc.sock', async () => {
    const deep = 'x'.repeat(60) + '/' + 'y'.repeat(60);
    const { rig, dir } = project(svc('api', ['node', '-e', HTTP_SERVER]), {}, deep);
    mkdirSync(dir, { recursive: true });
    assert.ok(Buffer.byteLength(path.join(dir, '.devport', 'api', 'rpc.sock')) > 107);
    const a = sidecar(rig, dir, 'api');
    await waitState(dir, 'api', (x) => x.state.state === 'healthy', 'healthy');
    const r = await rpcRequest(path.join(dir, '.devport', 'api'), 'GET', '/state');
    assert.equal(r.status, 200);
    a.kill('SIGTERM');
    await exited(a);
  });
});

describe('health', () => {
  test('tcp health: a server bound only to ::1 is healthy', async () => {
    const v6 = `require('net').createServer((s) => s.end()).listen(process.env.PORT, '::1')`;
    const { rig, dir } = project(svc('v6', ['node', '-e', v6]));
    const a = sidecar(rig, dir, 'v6');
    const s = await waitState(dir, 'v6', (x) => x.state.state === 'healthy', 'healthy');
    assert.equal(s.state.health?.detail, `tcp [::1]:${s.state.port} open`);
    a.kill('SIGTERM');
    await exited(a);
  });

  test('http health: 500 twice, then 200', async () => {
    const flaky = `let n = 0; require('http').createServer((q, s) => { s.statusCode = ++n <= 2 ? 500 : 200; s.end(); }).listen(process.env.PORT, '127.0.0.1')`;
    const { rig, dir } = project(svc('flaky', ['node', '-e', flaky], '[service.health]\ntype = "http"\npath = "/healthz"\ninterval = "50ms"'));
    const a = sidecar(rig, dir, 'flaky');
    await waitFor('rpc.sock', () => existsSync(path.join(dir, '.devport', 'flaky', 'rpc.sock')));
    const details: string[] = [];
    const ctl = new AbortController();
    await rpcEvents(path.join(dir, '.devport', 'flaky'), (s) => {
      if (s.state.health && details.at(-1) !== s.state.health.detail) details.push(s.state.health.detail);
      if (s.state.state === 'healthy') ctl.abort();
    }, ctl.signal);
    const port = stateOf(dir, 'flaky')?.state.port;
    assert.ok(details.includes(`GET http://localhost:${port}/healthz → 500`), details.join(' | '));
    assert.equal(details.at(-1), `GET http://localhost:${port}/healthz → 200`);
    a.kill('SIGTERM');
    await exited(a);
  });

  test('a service that never gets healthy turns unhealthy with the probe detail', async () => {
    const { rig, dir } = project(svc('deaf', ['node', '-e', 'setInterval(() => {}, 1000)'], '[service.health]\ntimeout = "600ms"\ninterval = "100ms"'));
    const a = sidecar(rig, dir, 'deaf');
    const s = await waitState(dir, 'deaf', (x) => x.state.state === 'unhealthy', 'unhealthy');
    assert.equal(s.state.health?.detail, `tcp :${s.state.port}: connection refused`);
    a.kill('SIGTERM');
    await exited(a);
  });
});
