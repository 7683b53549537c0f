// The foreground `up` as agents and terminals really run it: without a TTY and
// with --json it stays until told to stop; when its terminal or its parent goes
// away, or the stack is stopped from elsewhere, it brings everything down.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import { CLI, lsOf, Rig, waitFor } from './rig.js';

let rig: Rig;
afterEach(async () => {
  const left = await rig.cleanup();
  assert.deepEqual(left, [], 'processes left behind');
});

const SPEC = `
[[service]]
name = "api"
command = ["node", "-e", "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"]

[[service]]
name = "worker"
command = ["node", "-e", "setInterval(() => {}, 1000)"]
no_port = true
`;

type Event = { event: string; service?: string; state?: string; restarts?: number; reason?: string; stopped?: string[] };
const events = (stdout: string): Event[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);

const P = () => rig.path('p');
const ls = () => lsOf(rig, P());
const allDown = () => waitFor('every sidecar gone', async () => (await ls()).every((e) => !e.alive), 15_000);
const exitOf = (c: import('node:child_process').ChildProcess) =>
  new Promise<number | null>((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

describe('the foreground without a terminal', () => {
  test('up --json with stdin at EOF runs until SIGINT, reports changes after ready, then stopped + shutdown, exit 0', async () => {
    rig = new Rig('devport-fg-');
    rig.write('p/devport.toml', SPEC);
    const up = rig.start(['up', '--json', '--no-tmux'], { cwd: P() });
    up.stdin?.end(); // like </dev/null
    await waitFor('ready', () => events(up.output().stdout).some((e) => e.event === 'ready'), 30_000);
    // Long after ready it is still there, and says what happens to the stack.
    const r = await rig.run(['restart', 'api'], { cwd: P() });
    assert.equal(r.code, 0, r.stderr);
    await waitFor('api healthy again, reported by up', () => events(up.output().stdout).some((e) => e.event === 'service' && e.service === 'api' && e.state === 'healthy' && (e.restarts ?? 0) >= 1), 15_000);
    assert.equal(up.exitCode, null, `up exited early: ${up.output().stderr}`);
    up.kill('SIGINT');
    assert.equal(await exitOf(up), 0, up.output().stderr);
    const evs = events(up.output().stdout);
    assert.deepEqual(evs.filter((e) => e.event === 'stopped').map((e) => e.service).sort(), ['api', 'worker']);
    const last = evs.at(-1);
    assert.equal(last?.event, 'shutdown');
    assert.equal(last?.reason, 'interrupted');
    // stdout held only NDJSON.
    for (const line of up.output().stdout.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.ok((await ls()).every((e) => !e.alive));
  });

  test('devport down from elsewhere: the foreground up notices and exits 0', async () => {
    rig = new Rig('devport-fg-');
    rig.write('p/devport.toml', SPEC);
    const up = rig.start(['up', '--json', '--no-tmux'], { cwd: P() });
    up.stdin?.end();
    await waitFor('ready', () => events(up.output().stdout).some((e) => e.event === 'ready'), 30_000);
    const d = await rig.run(['down'], { cwd: P() });
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await exitOf(up), 0, up.output().stderr);
    assert.equal(events(up.output().stdout).at(-1)?.reason, 'the stack was stopped from elsewhere');
  });
});

describe('the terminal goes away', () => {
  test('SIGHUP stops the stack', async () => {
    rig = new Rig('devport-fg-');
    rig.write('p/devport.toml', SPEC);
    const up = rig.start(['up', '--no-tmux'], { cwd: P() });
    await waitFor('healthy', () => up.output().stdout.includes('stack is healthy'), 30_000);
    up.kill('SIGHUP');
    assert.equal(await exitOf(up), 0, up.output().stderr);
    assert.ok((await ls()).every((e) => !e.alive));
  });

  test('the tmux window running `up` is killed: the pty closes, the stack is stopped', async () => {
    rig = new Rig('devport-fg-');
    // Chatty services, one slow to stop: `up` keeps writing their output to the dead terminal while it
    // stops the stack (an unhandled EIO there once killed it half-way, leaving the rest running).
    rig.write('p/devport.toml', `
[[service]]
name = "api"
command = ["node", "-e", "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1'); setInterval(() => console.log('api tick'), 30)"]

[[service]]
name = "worker"
command = ["node", "-e", "setInterval(() => console.log('worker tick'), 30)"]
no_port = true

[[service]]
name = "slow"
command = ["node", "-e", "process.on('SIGTERM', () => { setInterval(() => console.log('still stopping'), 20); setTimeout(() => process.exit(0), 1500) }); setInterval(() => console.log('tick'), 100)"]
no_port = true
`);
    // \`up\` in a terminal of its own: a window of the test's private tmux server.
    // Its stderr goes to a file (as with `devport up 2>up.err`): only stdout is the terminal that vanishes.
    const made = rig.tmux(['new-session', '-d', '-s', 'term', '-x', '120', '-y', '40', '-c', P(), '--', 'sh', '-c', `exec "${process.execPath}" "${CLI}" up 2>up.err`]);
    assert.equal(made.code, 0, made.stderr);
    await waitFor('the stack up', async () => {
      const entries = await ls();
      return entries.length === 3 && entries.every((e) => e.alive && e.state?.state === 'healthy');
    }, 30_000);
    await waitFor('up following the logs', () => rig.tmux(['capture-pane', '-p', '-t', 'term']).stdout.includes('worker tick'));
    assert.equal(rig.tmux(['kill-window', '-t', 'term']).code, 0);
    await allDown();
    // Gracefully: the slow one was given its time (a hangup never escalates to a kill).
    const slow = (await ls()).find((e) => e.key === 'slow');
    assert.match(slow?.state?.reason ?? '', /^exited 0 \d+ ms after SIGTERM$/);
    await waitFor('no child left', () => rig.leftovers().filter((p) => !p.cmd.includes('tmux')).length === 0);
  });

  test('the parent of `up` dies: the stack is stopped', async () => {
    rig = new Rig('devport-fg-');
    rig.write('p/devport.toml', SPEC);
    // A shell starts up in the background and is then SIGKILLed: up is orphaned, as when an agent's harness dies.
    const sh = rig.track(
      spawn('sh', ['-c', `"${process.execPath}" "${CLI}" up --no-tmux --json </dev/null >up.out 2>&1 & echo $! > up.pid; wait`], { cwd: P(), env: rig.env(), stdio: 'ignore' }),
    );
    await waitFor('ready', () => {
      try {
        return readFileSync(rig.path('p/up.out'), 'utf8').includes('"event":"ready"');
      } catch {
        return false;
      }
    }, 30_000);
    sh.kill('SIGKILL');
    await allDown();
    await waitFor('shutdown reported', () => readFileSync(rig.path('p/up.out'), 'utf8').includes('"reason":"its parent process exited"'));
  });

  test('the parent of `up` dies while the stack is starting: it is stopped once started', async () => {
    rig = new Rig('devport-fg-');
    rig.write('p/devport.toml', SPEC);
    // The parent is gone before `up` has planned anything: up must remember who started it.
    const sh = rig.track(
      spawn('sh', ['-c', `"${process.execPath}" "${CLI}" up --no-tmux --json </dev/null >up.out 2>&1 & echo $! > up.pid; wait`], { cwd: P(), env: rig.env(), stdio: 'ignore' }),
    );
    // Killed at its plan, before any service is up (its first line of JS has run by then).
    await waitFor('the plan', () => {
      try {
        return readFileSync(rig.path('p/up.out'), 'utf8').includes('"event":"plan"');
      } catch {
        return false;
      }
    }, 30_000, 2);
    sh.kill('SIGKILL');
    await waitFor('shutdown reported', () => readFileSync(rig.path('p/up.out'), 'utf8').includes('"reason":"its parent process exited"'), 30_000);
    await allDown();
  });
});
