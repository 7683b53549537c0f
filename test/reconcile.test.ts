// `devport up` on a running stack reconciles it: what changed restarts, what is
// new starts, what was removed stops, the rest keeps its process and port. The
// foreground `up` does the same by itself when the spec is edited, and `r`
// restarts the whole stack from scratch. Real sidecars and children; order is
// read from files the processes write, never from sleeps.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { isRunning } from '../src/sys/procfs.js';
import { check } from './schema-lite.js';
import { CLI, httpServer, lsOf, REPO, Rig, waitFor, type LsEntry } from './rig.js';

let rig: Rig;
afterEach(async () => {
  const left = await rig.cleanup();
  assert.deepEqual(left, [], 'processes left behind');
});

const P = () => rig.path('p');
const ls = () => lsOf(rig, P());
const byKey = async (): Promise<Record<string, LsEntry>> => Object.fromEntries((await ls()).map((e) => [e.key, e]));
const exitOf = (c: import('node:child_process').ChildProcess) =>
  new Promise<number | null>((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

type Event = { event: string; service?: string; state?: string; restarts?: number; started?: string[]; restarted?: string[]; stopped?: string[]; unchanged?: string[]; message?: string; services?: { service: string; state: string }[] };
const events = (stdout: string): Event[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);

const service = (name: string, command: string, extra = '') => `
[[service]]
name = "${name}"
command = ${command}
${extra}`;
const idle = '["node", "-e", "setInterval(() => {}, 1000)"]';

/** The running stack's pid, child pid and port per key. */
const snapshot = async () => Object.fromEntries(Object.entries(await byKey()).map(([k, e]) => [k, { sidecar: e.supervisor?.pid, child: e.state?.pid, port: e.state?.port, alive: e.alive, state: e.state?.state }]));

describe('up on a running stack', () => {
  test('--daemon restarts only the changed service, starts the new one, stops the removed one; --json says so in one reconcile event', async () => {
    rig = new Rig('devport-rec-');
    rig.write('p/devport.toml', service('api', httpServer('v1')) + service('db', httpServer('db')) + service('worker', idle, 'no_port = true') + service('old', idle, 'no_port = true'));
    const first = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(first.code, 0, first.stderr);
    const before = await snapshot();

    rig.write('p/devport.toml', service('api', httpServer('v2')) + service('db', httpServer('db')) + service('worker', idle, 'no_port = true') + service('cache', httpServer('cache')));
    // A dry run says what up would do, and does nothing.
    const dry = await rig.run(['up', '--dry-run'], { cwd: P() });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /the stack is running: `devport up` would\n  \+ cache\s+new\n  ↻ api\s+command changed\n  - old\s+no longer in the spec\n  = db, worker unchanged\n/);
    assert.deepEqual(await snapshot(), before);
    const r = await rig.run(['up', '--daemon', '--json'], { cwd: P(), timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const evs = events(r.stdout);
    const schema = JSON.parse(readFileSync(path.join(REPO, 'spec', 'events.schema.json'), 'utf8'));
    for (const e of evs) assert.deepEqual(check(schema, e), [], JSON.stringify(e));
    const rec = evs.filter((e) => e.event === 'reconcile');
    assert.equal(rec.length, 1);
    assert.deepEqual({ started: rec[0]?.started, restarted: rec[0]?.restarted, stopped: rec[0]?.stopped, unchanged: [...(rec[0]?.unchanged ?? [])].sort() }, { started: ['cache'], restarted: ['api'], stopped: ['old'], unchanged: ['db', 'worker'] });
    assert.equal(evs.at(-1)?.event, 'ready');
    assert.deepEqual(evs.at(-1)?.services?.map((s) => `${s.service}=${s.state}`), ['api=healthy', 'db=healthy', 'worker=healthy', 'cache=healthy']);
    assert.ok(!evs.some((e) => e.event === 'stopped' && e.service !== 'api' && e.service !== 'old'), 'only api and old were stopped');

    const after = await snapshot();
    // Unchanged: the same sidecar, child and port.
    for (const k of ['db', 'worker']) assert.deepEqual(after[k], before[k], k);
    // Changed: a new process on the same port, answering as the new version.
    assert.equal(after.api?.port, before.api?.port);
    assert.notEqual(after.api?.child, before.api?.child);
    assert.equal(isRunning(before.api?.child ?? 0), false);
    assert.equal(await (await fetch(`http://127.0.0.1:${after.api?.port}/`)).text(), 'v2');
    // Removed: stopped, its process gone. New: healthy.
    assert.equal(after.old?.alive, false);
    assert.equal(after.old?.state, 'stopped');
    assert.equal(isRunning(before.old?.child ?? 0), false);
    assert.equal(await (await fetch(`http://127.0.0.1:${after.cache?.port}/`)).text(), 'cache');
    // The new sidecars ran without tmux, like the running stack (no --no-tmux this time).
    assert.notEqual(rig.tmux(['list-sessions']).code, 0, 'no tmux server was started');

    // Nothing changed: nothing restarted, exit 0, the summary of the whole stack.
    const again = await rig.run(['up'], { cwd: P() });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /= api, db, worker, cache unchanged/);
    assert.match(again.stdout, /devport up: stack is healthy/);
    assert.deepEqual(await snapshot(), after);
    const d = await rig.run(['down'], { cwd: P() });
    assert.equal(d.code, 0, d.stderr);
  });

  test('a service whose sidecar was kill -9ed comes back with up, on its port; the others are untouched', async () => {
    rig = new Rig('devport-rec-');
    rig.write('p/devport.toml', service('api', httpServer('api')) + service('worker', idle, 'no_port = true'));
    const first = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(first.code, 0, first.stderr);
    const before = await snapshot();
    process.kill(before.api?.sidecar ?? 0, 'SIGKILL');
    await waitFor('api sidecar gone', async () => (await byKey()).api?.alive === false);
    const r = await rig.run(['up', '--daemon'], { cwd: P() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+ api\s+its supervisor was not running/);
    assert.match(r.stdout, /= worker unchanged/);
    const after = await snapshot();
    assert.deepEqual(after.worker, before.worker);
    assert.equal(after.api?.alive, true);
    assert.equal(after.api?.state, 'healthy');
    assert.equal(after.api?.port, before.api?.port);
    assert.notEqual(after.api?.sidecar, before.api?.sidecar);
    assert.equal(await (await fetch(`http://127.0.0.1:${after.api?.port}/`)).text(), 'api');
    await rig.run(['down'], { cwd: P() });
  });

  test('a changed service that never gets healthy: SERVICE_UNHEALTHY, only it is stopped, the rest runs on; fixed, up brings it back', async () => {
    rig = new Rig('devport-rec-');
    rig.write('p/devport.toml', service('api', httpServer('api')) + service('worker', idle, 'no_port = true'));
    const first = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(first.code, 0, first.stderr);
    const before = await snapshot();
    rig.write('p/devport.toml', service('api', '["node", "-e", "console.log(\'api: never listening\'); setInterval(() => {}, 1000)"]', '  [service.health]\n  timeout = "1s"') + service('worker', idle, 'no_port = true'));
    const r = await rig.run(['up', '--daemon'], { cwd: P(), timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error\[SERVICE_UNHEALTHY\]: "api" did not become healthy/m);
    assert.match(r.stderr, /│ api: never listening/);
    assert.match(r.stdout, /stopping what this up started/);
    const after = await snapshot();
    assert.equal(after.api?.alive, false);
    assert.deepEqual(after.worker, before.worker, 'the unchanged worker runs on');
    // The fix: api is started again (its sidecar is not running), worker still untouched.
    rig.write('p/devport.toml', service('api', httpServer('api')) + service('worker', idle, 'no_port = true'));
    const fixed = await rig.run(['up', '--daemon', '--json'], { cwd: P() });
    assert.equal(fixed.code, 0, fixed.stderr);
    const rec = events(fixed.stdout).find((e) => e.event === 'reconcile');
    assert.deepEqual([rec?.started, rec?.restarted, rec?.stopped, rec?.unchanged], [['api'], [], [], ['worker']]);
    assert.deepEqual((await snapshot()).worker, before.worker);
    await rig.run(['down'], { cwd: P() });
  });
});

describe('up makes a stack run', () => {
  test('a live sidecar whose child gave up (exited) is restarted by up, though nothing in the spec changed', async () => {
    rig = new Rig('devport-reconcile-');
    // It fails until a file says otherwise: the fix is outside the spec.
    rig.write('p/flaky.js', `if (!require('fs').existsSync('fixed')) { console.log('not yet'); process.exit(3); } setInterval(() => {}, 1000);`);
    // A long settle: on a loaded machine node's boot alone can outlast the default 300 ms, and a child that
    // exits during its boot would count as healthy first.
    rig.write('p/devport.toml', `${service('steady', idle, 'no_port = true')}\n${service('flaky', '["node", "flaky.js"]', 'no_port = true\nrestart = "never"\n[service.health]\ntype = "process"\nsettle = "2s"')}`);
    const first = await rig.run(['up', '--daemon', '--no-tmux', '--keep-on-failure'], { cwd: P() });
    assert.equal(first.code, 1);
    const before = await byKey();
    assert.deepEqual([before.flaky?.alive, before.flaky?.state?.state], [true, 'exited']);
    rig.write('p/fixed', '');
    const again = await rig.run(['up', '--daemon', '--no-tmux', '--json'], { cwd: P() });
    assert.equal(again.code, 0, again.stderr);
    const rec = events(again.stdout).find((e) => e.event === 'reconcile') as unknown as { restarted: string[]; unchanged: string[] } | undefined;
    assert.deepEqual([rec?.restarted, rec?.unchanged], [['flaky'], ['steady']]);
    const after = await byKey();
    assert.equal(after.flaky?.state?.state, 'healthy');
    assert.equal(after.steady?.state?.pid, before.steady?.state?.pid, 'the other service untouched');
    await rig.run(['down'], { cwd: P() });
  });
});

describe('the foreground up applies edits by itself', () => {
  test('a new service appears and gets healthy; a changed command restarts only that service; a touch does nothing', async () => {
    rig = new Rig('devport-rec-');
    rig.write('p/devport.toml', service('api', httpServer('v1')) + service('worker', idle, 'no_port = true'));
    const up = rig.start(['up', '--json', '--no-tmux'], { cwd: P() });
    up.stdin?.end();
    const count = (name: string) => events(up.output().stdout).filter((e) => e.event === name).length;
    await waitFor('ready', () => count('ready') === 1, 30_000);
    const before = await snapshot();

    rig.write('p/devport.toml', service('api', httpServer('v1')) + service('worker', idle, 'no_port = true') + service('cache', httpServer('cache')));
    await waitFor('ready after adding cache', () => count('ready') === 2, 30_000);
    let rec = events(up.output().stdout).filter((e) => e.event === 'reconcile');
    assert.deepEqual([rec[0]?.started, rec[0]?.restarted, rec[0]?.stopped, rec[0]?.unchanged], [['cache'], [], [], ['api', 'worker']]);
    const added = await snapshot();
    assert.equal(added.cache?.state, 'healthy');
    assert.equal(await (await fetch(`http://127.0.0.1:${added.cache?.port}/`)).text(), 'cache');
    assert.deepEqual([added.api, added.worker], [before.api, before.worker]);

    rig.write('p/devport.toml', service('api', httpServer('v2')) + service('worker', idle, 'no_port = true') + service('cache', httpServer('cache')));
    await waitFor('ready after changing api', () => count('ready') === 3, 30_000);
    rec = events(up.output().stdout).filter((e) => e.event === 'reconcile');
    assert.deepEqual([rec[1]?.started, rec[1]?.restarted, rec[1]?.stopped, rec[1]?.unchanged], [[], ['api'], [], ['worker', 'cache']]);
    const changed = await snapshot();
    assert.deepEqual([changed.worker, changed.cache], [added.worker, added.cache]);
    assert.equal(changed.api?.port, before.api?.port);
    assert.notEqual(changed.api?.child, before.api?.child);
    assert.equal(await (await fetch(`http://127.0.0.1:${changed.api?.port}/`)).text(), 'v2');

    // The same bytes written again: no reconcile. A restart of api comes between it and the next
    // edit, so an event from it would be handled on its own (edits are applied in order): the next
    // reconcile is the third one.
    rig.write('p/devport.toml', service('api', httpServer('v2')) + service('worker', idle, 'no_port = true') + service('cache', httpServer('cache')));
    // The state monitor follows the restarted and the new service (a restart of their own is reported).
    const r = await rig.run(['restart', 'api', 'cache'], { cwd: P() });
    assert.equal(r.code, 0, r.stderr);
    for (const key of ['api', 'cache']) {
      await waitFor(`${key} restart reported`, () => events(up.output().stdout).some((e) => e.event === 'service' && e.service === key && e.state === 'healthy' && (e.restarts ?? 0) >= 1), 15_000);
    }
    rig.write('p/devport.toml', service('api', httpServer('v2')) + service('worker', idle, 'no_port = true'));
    await waitFor('ready after removing cache', () => count('ready') === 4, 30_000);
    rec = events(up.output().stdout).filter((e) => e.event === 'reconcile');
    assert.equal(rec.length, 3);
    assert.deepEqual([rec[2]?.started, rec[2]?.restarted, rec[2]?.stopped, rec[2]?.unchanged], [[], [], ['cache'], ['api', 'worker']]);
    assert.equal((await byKey()).cache?.alive, false);

    up.kill('SIGINT');
    assert.equal(await exitOf(up), 0, up.output().stderr);
    const last = events(up.output().stdout).at(-1);
    assert.equal(last?.event, 'shutdown');
    assert.ok((await ls()).every((e) => !e.alive));
  });

  test('an invalid edit leaves the stack running and prints the positioned error; the fix is applied', async () => {
    rig = new Rig('devport-rec-');
    const spec = service('api', httpServer('v1')) + service('worker', idle, 'no_port = true');
    rig.write('p/devport.toml', spec);
    const up = rig.start(['up', '--no-tmux'], { cwd: P() });
    up.stdin?.end();
    await waitFor('healthy', () => up.output().stdout.includes('stack is healthy'), 30_000);
    const before = await snapshot();
    rig.write('p/devport.toml', spec + '\n[[service]]\nname = "cache"\ncommand = "node server.js"\n');
    const lines = spec.split('\n').length;
    await waitFor('the error', () => up.output().stderr.includes('error[SPEC_INVALID]'));
    const err = up.output().stderr;
    // The CLI's renderer: file:line:col, the line, a caret under the value, the hint.
    assert.match(err, new RegExp(`^devport\\.toml:${lines + 3}:11 error\\[SPEC_INVALID\\]: `, 'm'));
    assert.match(err, /\| command = "node server\.js"\n.*\|\s+\^+/);
    await waitFor('said what it did', () => up.output().stdout.includes('the running stack is left as it is'));
    assert.deepEqual(await snapshot(), before);
    assert.equal(up.exitCode, null);

    rig.write('p/devport.toml', spec + '\n[[service]]\nname = "cache"\ncommand = ["node", "-e", "console.log(\'cache says hi\'); setInterval(() => {}, 1000)"]\nno_port = true\n');
    await waitFor('the fix applied', () => (up.output().stdout.match(/stack is healthy/g) ?? []).length === 2, 30_000);
    assert.match(up.output().stdout, /devport\.toml changed: applying it/);
    assert.match(up.output().stdout, /\+ cache\s+new/);
    // The log follower follows the new service too.
    await waitFor('the new service in the logs', () => /^cache\s+\| cache says hi$/m.test(up.output().stdout));
    const after = await snapshot();
    assert.equal(after.cache?.state, 'healthy');
    assert.deepEqual([after.api, after.worker], [before.api, before.worker]);
    up.kill('SIGINT');
    assert.equal(await exitOf(up), 0, up.output().stderr);
  });

  test('a second up beside a foreground up says ALREADY_RUNNING at once, and that the foreground applies edits', async () => {
    rig = new Rig('devport-rec-');
    rig.write('p/devport.toml', service('api', httpServer('api')));
    const up = rig.start(['up', '--json', '--no-tmux'], { cwd: P() });
    up.stdin?.end();
    await waitFor('ready', () => events(up.output().stdout).some((e) => e.event === 'ready'), 30_000);
    const before = await snapshot();
    const t = Date.now();
    const r = await rig.run(['up', '--daemon'], { cwd: P() });
    assert.ok(Date.now() - t < 3000, `answered in ${Date.now() - t} ms`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error\[ALREADY_RUNNING\]: `devport up` \(pid \d+\) runs this stack in the foreground\nhint: it applies edits to devport\.toml and its env files by itself/);
    assert.deepEqual(await snapshot(), before);
    up.kill('SIGINT');
    assert.equal(await exitOf(up), 0, up.output().stderr);
  });
});

describe('r restarts from scratch', () => {
  test('the stack stops (dependents first) and starts again: the task re-runs before its dependent starts', async () => {
    rig = new Rig('devport-rec-');
    const log = (what: string) => `require('fs').appendFileSync('order.log', '${what}\\n')`;
    rig.write('p/seed.js', `${log('seed start')}; setTimeout(() => { ${log('seed done')} }, 300);`);
    rig.write('p/api.js', `${log('api start')}; process.on('SIGTERM', () => { ${log('api stop')}; process.exit(0) }); require('http').createServer((q, s) => s.end('api')).listen(process.env.PORT, '127.0.0.1');`);
    rig.write('p/devport.toml', `
[[service]]
name = "seed"
type = "task"
command = ["node", "seed.js"]

[[service]]
name = "api"
command = ["node", "api.js"]
depends_on = ["seed"]
`);
    // \`up\` in a terminal of its own (keys need a TTY): a window of the test's private tmux server.
    const made = rig.tmux(['new-session', '-d', '-s', 'term', '-x', '160', '-y', '50', '-c', P(), '--', process.execPath, CLI, 'up', '--no-tmux']);
    assert.equal(made.code, 0, made.stderr);
    const pane = () => rig.tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', 'term']).stdout;
    const order = () => readFileSync(rig.path('p/order.log'), 'utf8').trim().split('\n');
    await waitFor('healthy', () => pane().includes('stack is healthy'), 30_000);
    assert.deepEqual(order(), ['seed start', 'seed done', 'api start']);

    rig.tmux(['send-keys', '-t', 'term', 'r']);
    await waitFor('iteration 2 healthy', () => /restarting from scratch \(iteration 2\)[\s\S]*stack is healthy/.test(pane()), 30_000);
    assert.deepEqual(order(), ['seed start', 'seed done', 'api start', 'api stop', 'seed start', 'seed done', 'api start']);
    const first = (await byKey()).api;

    // R works as r.
    rig.tmux(['send-keys', '-t', 'term', 'R']);
    await waitFor('iteration 3 healthy', () => /restarting from scratch \(iteration 3\)[\s\S]*stack is healthy/.test(pane()), 30_000);
    assert.deepEqual(order().slice(7), ['api stop', 'seed start', 'seed done', 'api start']);
    const api = (await byKey()).api;
    assert.notEqual(api?.supervisor?.run_id, first?.supervisor?.run_id, 'a new run');
    assert.equal(api?.state?.port, first?.state?.port, 'the same port');

    rig.tmux(['send-keys', '-t', 'term', 'Q']);
    await waitFor('every sidecar gone', async () => (await ls()).every((e) => !e.alive), 15_000);
  });
});
