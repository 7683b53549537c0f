// The stack lifecycle end to end: real tmux (a private server per test), real
// sidecars, real children, real HTTP. After every test nothing of it is left.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { isLocked } from '../src/state/lock.js';
import type { StateFile } from '../src/state/types.js';
import { isRunning } from '../src/sys/procfs.js';
import { REPO, Rig, waitFor } from './rig.js';
import { check } from './schema-lite.js';

let rig: Rig;
afterEach(async () => {
  const left = await rig.cleanup();
  assert.deepEqual(left, [], 'processes left behind');
});

const SERVER = `
const http = require('http');
const name = process.argv[2];
require('fs').appendFileSync('order.log', name + ' start ' + Date.now() + '\\n');
console.log(name + ' booting');
const delay = Number(process.argv[3] || 0);
setTimeout(() => http.createServer((q, s) => s.end(name + ' ok')).listen(process.env.PORT, '127.0.0.1', () => console.log(name + ' listening on ' + process.env.PORT)), delay);
process.on('SIGTERM', () => process.exit(0));
`;

const TASK = `
require('fs').appendFileSync('order.log', 'migrate start ' + Date.now() + '\\n');
setTimeout(() => { console.log('migrated'); require('fs').appendFileSync('order.log', 'migrate done ' + Date.now() + '\\n'); }, 200);
`;

function stack(extra = ''): void {
  rig.write('p/server.js', SERVER);
  rig.write('p/migrate.js', TASK);
  rig.write('p/worker.js', `console.log('worker up'); setInterval(() => {}, 1000);`);
  rig.write(
    'p/devport.toml',
    `
[[service]]
name = "db"
command = ["node", "server.js", "db", "300"]

[[service]]
name = "migrate"
type = "task"
command = ["node", "migrate.js"]
depends_on = ["db"]

[[service]]
name = "api"
command = ["node", "server.js", "api"]
depends_on = { db = "healthy", migrate = "completed" }

[[service]]
name = "worker"
command = ["node", "worker.js"]
no_port = true
${extra}`,
  );
}

const P = () => rig.path('p');
type LsLine = { dir: string; key: string; alive: boolean; supervisor: StateFile['supervisor'] | null; state: StateFile['state'] | null };
const ls = async (): Promise<LsLine[]> => {
  const r = await rig.run(['ls'], { cwd: P() });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LsLine);
};

async function upDaemon(args: string[] = []): Promise<void> {
  const r = await rig.run(['up', '--daemon', ...args], { cwd: P(), timeoutMs: 30_000 });
  assert.equal(r.code, 0, `up failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /devport up: stack is healthy/);
}

/** The tmux session `up` made for the stack (its name carries a hash of the project dir). */
const session = (): string => (JSON.parse(readFileSync(rig.path('p/.devport/tmux.json'), 'utf8')) as { session: string }).session;

async function lifecycle(args: string[]): Promise<string | undefined> {
  stack();
  await upDaemon(args);
  const sessionName = args.includes('--no-tmux') ? undefined : session();
  const entries = await ls();
  assert.deepEqual(entries.map((e) => e.key), ['api', 'db', 'migrate', 'worker']);
  for (const e of entries) {
    assert.equal(e.alive, true, `${e.key} alive`);
    assert.equal(e.dir, path.join('.devport', e.key));
  }
  const byKey = Object.fromEntries(entries.map((e) => [e.key, e]));
  assert.equal(byKey.migrate?.state?.state, 'completed');
  assert.equal(byKey.worker?.state?.state, 'healthy');
  for (const key of ['api', 'db']) {
    const port = byKey[key]?.state?.port;
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), `${key} ok`);
  }
  // The depends_on order in recorded timestamps: db listening → migrate → api.
  const order = Object.fromEntries(
    readFileSync(rig.path('p/order.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [name = '', what = '', ts = ''] = l.split(' ');
        return [`${name} ${what}`, Number(ts)];
      }),
  );
  const dbHealthy = Date.parse(byKey.db?.state?.since ?? '');
  assert.ok((order['migrate start'] ?? 0) >= dbHealthy, 'migrate started after db was healthy');
  assert.ok((order['api start'] ?? 0) >= (order['migrate done'] ?? Infinity), 'api started after migrate completed');
  assert.ok((order['db start'] ?? 0) < (order['migrate start'] ?? 0));

  const pids = entries.flatMap((e) => [e.supervisor?.pid, e.state?.pid]).filter((p): p is number => typeof p === 'number');
  const down = await rig.run(['down'], { cwd: P() });
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /devport down: stopped 4 services in \d+ ms/);
  for (const pid of pids) assert.equal(isRunning(pid), false, `pid ${pid} gone`);
  assert.ok((await ls()).every((e) => !e.alive && e.state?.state === 'stopped'));
  const again = await rig.run(['down'], { cwd: P() });
  assert.equal(again.code, 0);
  assert.equal(again.stdout, 'devport down: nothing running\n');
  return sessionName;
}

describe('devport up / ls / down', () => {
  test('up --daemon → ls → HTTP to each port → down, with tmux', async () => {
    rig = new Rig('devport-stack-');
    const name = await lifecycle([]);
    // tmux: one window per service was made in the private server; the session went with its last window.
    assert.match(name ?? '', /^devport-p-[0-9a-z]{4}$/);
    assert.equal(rig.tmux(['list-sessions', '-F', '#{session_name}']).stdout.includes(name ?? '?'), false);
  });

  test('the same lifecycle with --no-tmux', async () => {
    rig = new Rig('devport-stack-');
    await lifecycle(['--no-tmux']);
    assert.notEqual(rig.tmux(['list-sessions']).code, 0, 'no tmux server was started');
    // No tmux: attach says so, and points at the logs.
    const attach = await rig.run(['attach', 'api'], { cwd: P() });
    assert.equal(attach.code, 1);
    assert.match(attach.stderr, /^error\[NOT_RUNNING\]: this stack is not running in tmux\nhint: `devport logs -f` follows its output/);
  });

  test('tmux windows are named by key and recorded in state.json', async () => {
    rig = new Rig('devport-stack-');
    stack();
    await upDaemon();
    const windows = rig.tmux(['list-windows', '-t', `=${session()}`, '-F', '#{window_name} #{pane_id}']).stdout.trim().split('\n');
    assert.deepEqual(windows.map((w) => w.split(' ')[0]).sort(), ['api', 'db', 'migrate', 'worker']);
    const api = (await ls()).find((e) => e.key === 'api');
    assert.ok(windows.includes(`api ${api?.supervisor?.tmux?.pane}`));
    await rig.run(['down'], { cwd: P() });
  });

  test('a second up on the unchanged running stack: nothing restarted, exit 0', async () => {
    rig = new Rig('devport-stack-');
    stack();
    await upDaemon();
    const before = (await ls()).map((e) => [e.key, e.supervisor?.pid, e.state?.pid]);
    const r = await rig.run(['up', '--daemon'], { cwd: P() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /= db, migrate, api, worker unchanged/);
    assert.deepEqual((await ls()).map((e) => [e.key, e.supervisor?.pid, e.state?.pid]), before, 'the running stack is untouched');
    await rig.run(['down'], { cwd: P() });
  });

  test('--json: only NDJSON events on stdout', async () => {
    rig = new Rig('devport-stack-');
    stack();
    const r = await rig.run(['up', '--daemon', '--json'], { cwd: P(), timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { v: number; seq: number; event: string; service?: string; state?: string; duration_ms?: number });
    assert.equal(events[0]?.event, 'plan');
    assert.equal(events.at(-1)?.event, 'ready');
    events.forEach((e, i) => {
      assert.equal(e.v, 1);
      assert.equal(e.seq, i + 1);
    });
    const eventSchema = JSON.parse(readFileSync(path.join(REPO, 'spec', 'events.schema.json'), 'utf8'));
    for (const e of events) assert.deepEqual(check(eventSchema, e), [], JSON.stringify(e));
    const api = events.filter((e) => e.event === 'service' && e.service === 'api').map((e) => e.state);
    assert.deepEqual([api[0], api.at(-1)], ['pending', 'healthy']);
    assert.ok(events.every((e) => e.event !== 'service' || typeof e.duration_ms === 'number'));
    assert.doesNotMatch(r.stdout, /booting|listening/, 'no child output on stdout');
    const d = await rig.run(['down', '--json'], { cwd: P() });
    const last = JSON.parse(d.stdout.trim().split('\n').at(-1) ?? '{}') as { event: string; stopped: string[] };
    assert.equal(last.event, 'shutdown');
    assert.deepEqual(last.stopped.sort(), ['api', 'db', 'migrate', 'worker']);
  });
});

describe('foreground', () => {
  test('up, then SIGINT: everything stopped, exit 0', async () => {
    rig = new Rig('devport-stack-');
    stack();
    const up = rig.start(['up'], { cwd: P() });
    await waitFor('healthy', () => up.output().stdout.includes('stack is healthy'), 30_000);
    // The logs are streamed with a name prefix.
    await waitFor('prefixed logs', () => /api\s+\| api listening on \d+/.test(up.output().stdout));
    const sidecars = (await ls()).map((e) => e.supervisor?.pid ?? 0);
    up.kill('SIGINT');
    const code = await new Promise<number | null>((r) => up.once('exit', (c) => r(c)));
    assert.equal(code, 0, up.output().stdout + up.output().stderr);
    assert.match(up.output().stdout, /stopped in \d+ ms/);
    for (const pid of sidecars) assert.equal(isRunning(pid), false);
    assert.ok((await ls()).every((e) => !e.alive));
  });

  test('a second SIGINT while a child ignores SIGTERM: exit 130, nothing left', async () => {
    rig = new Rig('devport-stack-');
    stack(`
[[service]]
name = "stubborn"
command = ["node", "-e", "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000)"]
no_port = true
stop_timeout = "60s"
`);
    const up = rig.start(['up'], { cwd: P() });
    await waitFor('healthy', () => up.output().stdout.includes('stack is healthy'), 30_000);
    const stubborn = (await ls()).find((e) => e.key === 'stubborn')?.state?.pid ?? 0;
    up.kill('SIGINT');
    await waitFor('stopping', () => up.output().stdout.includes('stopping the stack'));
    await waitFor('the child ignored SIGTERM', () => readFileSync(rig.path('p/.devport/stubborn/output.log'), 'utf8').includes('ignoring SIGTERM'));
    const t0 = Date.now();
    up.kill('SIGINT');
    const code = await new Promise<number | null>((r) => up.once('exit', (c) => r(c)));
    assert.equal(code, 130);
    assert.ok(Date.now() - t0 < 5000, 'killed, not waited out');
    assert.equal(isRunning(stubborn), false);
    assert.ok((await ls()).every((e) => !e.alive));
  });
});

describe('failures', () => {
  test('a service that never gets healthy: named, with its output tail; nothing of that up survives', async () => {
    rig = new Rig('devport-stack-');
    rig.write('p/devport.toml', `
[[service]]
name = "db"
command = ["node", "-e", "require('http').createServer((q, s) => s.end()).listen(process.env.PORT, '127.0.0.1')"]

[[service]]
name = "api"
command = ["node", "-e", "console.log('api: booting'); console.log('api: waiting for a config that never comes'); setInterval(() => {}, 1000)"]
depends_on = ["db"]
  [service.health]
  timeout = "1s"
`);
    const r = await rig.run(['up', '--daemon'], { cwd: P(), timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    const port = (await ls()).find((e) => e.key === 'api')?.state?.port;
    // The plan of a failed up is gone: a sidecar starting late would find nothing to run.
    assert.equal(rig.exists('p/.devport/plan.json'), false);
    assert.match(r.stderr, new RegExp(`^error\\[SERVICE_UNHEALTHY\\]: "api" did not become healthy: tcp :${port}: connection refused$`, 'm'));
    assert.match(r.stderr, /│ api: booting\n.*│ api: waiting for a config that never comes/);
    assert.match(r.stderr, /hint: read its output above; `devport logs api` shows all of it/);
    assert.match(r.stdout, /stopping what this up started/);
    const entries = await ls();
    assert.ok(entries.every((e) => !e.alive), 'every sidecar of that up is gone');
    for (const e of entries) assert.equal(isLocked(rig.path('p', e.dir)), false);
  });

  test('a failing task: TASK_FAILED with its exit code and output; dependents never start', async () => {
    rig = new Rig('devport-stack-');
    rig.write('p/devport.toml', `
[[service]]
name = "migrate"
type = "task"
command = ["node", "-e", "console.error('relation \\"users\\" does not exist'); process.exit(3)"]

[[service]]
name = "api"
command = ["node", "-e", "require('fs').writeFileSync('api-started', '')"]
depends_on = ["migrate"]
`);
    const r = await rig.run(['up', '--daemon'], { cwd: P(), timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error\[TASK_FAILED\]: task "migrate" failed: exited 3$/m);
    assert.match(r.stderr, /│ relation "users" does not exist/);
    assert.equal(rig.exists('p/api-started'), false);
    assert.ok((await ls()).every((e) => !e.alive));
  });

  test('down after the sidecars were SIGKILLed reaps their children', async () => {
    rig = new Rig('devport-stack-');
    // A child that survives its pty closing (most die of the SIGHUP).
    stack(`
[[service]]
name = "hardy"
command = ["node", "-e", "process.on('SIGHUP', () => {}); setInterval(() => {}, 1000)"]
no_port = true
`);
    await upDaemon(['--no-tmux']);
    const entries = await ls();
    const hardy = entries.find((e) => e.key === 'hardy')?.state?.pid ?? 0;
    const children = entries.map((e) => e.state?.pid).filter((p): p is number => typeof p === 'number');
    for (const e of entries) process.kill(e.supervisor?.pid ?? 0, 'SIGKILL');
    await waitFor('locks released', async () => (await ls()).every((e) => !e.alive));
    assert.equal(isRunning(hardy), true, 'the SIGHUP-ignoring child outlived its sidecar');
    const d = await rig.run(['down'], { cwd: P() });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /hardy reaped 1 orphaned process\(es\) of a dead supervisor/);
    for (const pid of children) assert.equal(isRunning(pid), false, `child ${pid} reaped`);
  });
});

describe('logs and restart', () => {
  test('logs: prefixed per service; restart: new generation, same port, waits until healthy', async () => {
    rig = new Rig('devport-stack-');
    stack();
    await upDaemon();
    const logs = await rig.run(['logs', 'api', 'db', '-n', '5'], { cwd: P() });
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /^api \| api booting$/m);
    assert.match(logs.stdout, /^db  \| db listening on \d+$/m);
    assert.doesNotMatch(logs.stdout, /\u001b\[/, 'no ANSI when not a TTY');
    const unknown = await rig.run(['logs', 'apii'], { cwd: P() });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error\[SERVICE_UNKNOWN\]: no service "apii" in this stack\nhint: did you mean "api"\?/);

    const before = (await ls()).find((e) => e.key === 'api');
    const r = await rig.run(['restart', 'api'], { cwd: P() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /api ready again in \d+ ms/);
    const after = (await ls()).find((e) => e.key === 'api');
    assert.equal(after?.state?.state, 'healthy');
    assert.equal(after?.state?.generation, (before?.state?.generation ?? 0) + 1);
    assert.equal(after?.state?.port, before?.state?.port);
    assert.notEqual(after?.state?.pid, before?.state?.pid);
    assert.equal(isRunning(before?.state?.pid ?? 0), false);
    await rig.run(['down'], { cwd: P() });
    // After a down, there is no sidecar to ask: restart starts the service again (with what it needs).
    const revived = await rig.run(['restart', 'api'], { cwd: P() });
    assert.equal(revived.code, 0, revived.stderr);
    assert.ok((await ls()).filter((e) => ['api', 'db', 'migrate'].includes(e.key)).every((e) => e.alive));
    await rig.run(['down'], { cwd: P() });
  });
});
