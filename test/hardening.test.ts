// Defects found by running devport as agents and people do, each kept fixed:
// two `up` at once, health tied to the child, a port held by someone else,
// the umask of builds, a dry run beside a running stack, a typo in a command,
// the state dir removed under a running sidecar, env_out, failure tails.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { CLI, httpServer, lsOf, Rig, waitFor } from './rig.js';

let rig: Rig;
afterEach(async () => {
  const left = await rig.cleanup();
  assert.deepEqual(left, [], 'processes left behind');
});

const P = () => rig.path('p');
const ls = () => lsOf(rig as Rig, P());
const SERVER = httpServer;

describe('two `up` at the same instant', () => {
  test('exactly one wins, the other answers ALREADY_RUNNING at once, the winner is intact (3 trials)', async () => {
    rig = new Rig('devport-hard-');
    rig.write('p/devport.toml', `[[service]]\nname = "a"\ncommand = ${SERVER('a')}\n\n[[service]]\nname = "b"\ncommand = ${SERVER('b')}\ndepends_on = ["a"]\n`);
    for (let trial = 0; trial < 3; trial++) {
      const runs = [0, 1].map(() => rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() }).then((r) => ({ ...r, endedAt: Date.now() })));
      const [x, y] = await Promise.all(runs);
      const results = [x, y].filter((r) => r !== undefined);
      const winners = results.filter((r) => r.code === 0);
      const losers = results.filter((r) => r.code !== 0);
      assert.equal(winners.length, 1, `trial ${trial}: ${results.map((r) => r.stderr).join('\n---\n')}`);
      assert.equal(losers.length, 1);
      const loser = losers[0];
      assert.match(loser?.stderr ?? '', /^error\[ALREADY_RUNNING\]/);
      // At once: it does not wait for the winner's services (how fast, in ms, is bench/concurrent-up.ts's).
      assert.ok((loser?.endedAt ?? Infinity) < (winners[0]?.endedAt ?? 0), 'the loser answered before the winner was healthy');
      const entries = await ls();
      assert.deepEqual(entries.map((e) => [e.key, e.alive, e.state?.state]), [['a', true, 'healthy'], ['b', true, 'healthy']], `trial ${trial}`);
      for (const e of entries) assert.equal(await (await fetch(`http://127.0.0.1:${e.state?.port}/`)).text(), e.key);
      const d = await rig.run(['down'], { cwd: P() });
      assert.equal(d.code, 0, d.stderr);
    }
  });
});

describe('health belongs to the child', () => {
  test('another program on the port never makes a crash-looping service healthy: PORT_IN_USE names it', async () => {
    rig = new Rig('devport-hard-');
    // Between the plan and the start of "api", another program takes its port: the test itself,
    // while a task holds "api" back (devport would reap anything its own task left behind).
    rig.write('p/devport.toml', `
[[service]]
name = "gate"
type = "task"
command = ["sh", "-c", "while [ ! -e go ]; do sleep 0.05; done"]

[[service]]
name = "api"
command = ["node", "-e", "require('http').createServer(() => {}).listen(process.env.PORT, '127.0.0.1')"]
depends_on = ["gate"]
`);
    const up = rig.run(['up', '--daemon', '--no-tmux', '--json'], { cwd: P(), timeoutMs: 30_000 });
    const port = await waitFor('the plan', () => {
      try {
        return (JSON.parse(readFileSync(rig.path('p/.devport/plan.json'), 'utf8')) as { nodes: { key: string; port: number }[] }).nodes.find((n) => n.key === 'api')?.port;
      } catch {
        return undefined;
      }
    });
    const { listenOn } = await import('./rig.js');
    const squatter = await listenOn(port);
    try {
      writeFileSync(rig.path('p/go'), '');
      const r = await up;
      assert.equal(r.code, 1, r.stdout);
      const err = JSON.parse(r.stderr) as { code: string; message: string };
      assert.equal(err.code, 'PORT_IN_USE', r.stderr);
      assert.match(err.message, new RegExp(`^port ${port} of "api" is in use by .*\\(pid ${process.pid}\\)$`));
      // Never reported healthy on the strength of the other program's answer.
      const apiStates = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; service?: string; state?: string }).filter((e) => e.event === 'service' && e.service === 'api').map((e) => e.state);
      assert.ok(!apiStates.includes('healthy'), apiStates.join(' '));
    } finally {
      squatter.close();
    }
  });
});

describe('umask', () => {
  test("builds and children get the invoking user's umask", async () => {
    rig = new Rig('devport-hard-');
    rig.write('p/devport.toml', `
[[service]]
name = "app"
build = ["sh", "-c", "umask > build.umask && touch built.bin && chmod +x built.bin"]
command = ["sh", "-c", "umask > child.umask; exec sleep 60"]
no_port = true
`);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = rig.track(spawn('sh', ['-c', `umask 027; exec "${process.execPath}" "${CLI}" up --daemon`], { cwd: P(), env: rig.env(), stdio: ['ignore', 'ignore', 'pipe'] }));
      let stderr = '';
      c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    await waitFor('child umask', () => existsSync(rig.path('p/child.umask')));
    assert.equal(readFileSync(rig.path('p/build.umask'), 'utf8').trim(), '0027');
    assert.equal(readFileSync(rig.path('p/child.umask'), 'utf8').trim(), '0027');
    await rig.run(['down'], { cwd: P() });
  });
});

describe('a dry run beside a running stack', () => {
  test('shows the live ports, and a fixed port held by the stack itself is not PORT_IN_USE', async () => {
    rig = new Rig('devport-hard-');
    const { freePort } = await import('./rig.js');
    const fixed = await freePort();
    rig.write('p/devport.toml', `[[service]]\nname = "a"\ncommand = ${SERVER('a')}\n\n[[service]]\nname = "b"\ncommand = ${SERVER('b')}\nport = ${fixed}\n`);
    const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(up.code, 0, up.stderr);
    const live = Object.fromEntries((await ls()).map((e) => [e.key, e.state?.port]));
    const dry = await rig.run(['up', '--dry-run', '--json'], { cwd: P() });
    assert.equal(dry.code, 0, dry.stderr);
    const planned = Object.fromEntries((JSON.parse(dry.stdout) as { services: { key: string; port: number }[] }).services.map((s) => [s.key, s.port]));
    assert.deepEqual(planned, live);
    await rig.run(['down'], { cwd: P() });
  });
});

describe('a typo in command', () => {
  test('backs off with "command not found" (restart = never: exited), and no internal error', async () => {
    rig = new Rig('devport-hard-');
    // Two stacks, so neither failure cuts the other short.
    rig.write('typo/devport.toml', `[[service]]\nname = "typo"\ncommand = ["no-such-command-xyz"]\nno_port = true\n`);
    rig.write('once/devport.toml', `[[service]]\nname = "once"\ncommand = ["no-such-command-xyz"]\nno_port = true\nrestart = "never"\n`);
    const states = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; service?: string; state?: string });
    // It would retry for a while: --wait-timeout ends the up once it has backed off a few times.
    const typo = await rig.run(['up', '--daemon', '--no-tmux', '--json', '--wait-timeout', '1500ms'], { cwd: rig.path('typo'), timeoutMs: 30_000 });
    assert.equal(typo.code, 1);
    assert.ok(states(typo.stdout).some((e) => e.service === 'typo' && e.state === 'backoff'), typo.stdout);
    const once = await rig.run(['up', '--daemon', '--no-tmux', '--json'], { cwd: rig.path('once'), timeoutMs: 30_000 });
    assert.equal(once.code, 1);
    assert.ok(states(once.stdout).some((e) => e.service === 'once' && e.state === 'exited'), once.stdout);
    for (const key of ['typo', 'once']) {
      const log = readFileSync(rig.path(`${key}/.devport/${key}/output.log`), 'utf8');
      assert.match(log, /command not found: no-such-command-xyz/);
      assert.doesNotMatch(log, /internal/);
    }
  });
});

describe('the state dir removed under a running sidecar', () => {
  test('rm -rf .devport: the sidecar stops its child and exits, no stack trace', async () => {
    rig = new Rig('devport-hard-');
    rig.write('p/devport.toml', `[[service]]\nname = "a"\ncommand = ${SERVER('a')}\n`);
    const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(up.code, 0, up.stderr);
    const [a] = await ls();
    const sidecar = a?.supervisor?.pid ?? 0;
    const child = a?.state?.pid ?? 0;
    assert.ok(sidecar > 1 && child > 1, JSON.stringify(a));
    rmSync(rig.path('p/.devport'), { recursive: true, force: true });
    const gone = (pid: number) => {
      try {
        process.kill(pid, 0);
        return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return true;
      }
    };
    await waitFor('child stopped', () => gone(child));
    await waitFor('sidecar exited', () => gone(sidecar));
  });
});

describe('env_out', () => {
  test('into a directory that does not exist: SPEC_INVALID at env_out, before anything starts', async () => {
    rig = new Rig('devport-hard-');
    rig.write('p/devport.toml', `env_out = "missing/dir/devport.env"\n\n[[service]]\nname = "a"\ncommand = ${SERVER('a')}\n`);
    const r = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^devport\.toml:1:11 error\[SPEC_INVALID\]: env_out ".*missing\/dir\/devport\.env": its directory .*missing\/dir does not exist$/m);
    assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /);
    assert.equal(existsSync(rig.path('p/.devport/plan.json')), false);
    assert.deepEqual(await ls(), []);
  });
});

describe('failure tails', () => {
  test('show the failing run, never an earlier run', async () => {
    rig = new Rig('devport-hard-');
    rig.write('p/fail.js', `
      const fs = require('fs');
      const n = (Number(fs.existsSync('count') ? fs.readFileSync('count', 'utf8') : 0) || 0) + 1;
      fs.writeFileSync('count', String(n));
      console.log('attempt ' + n + ' failing');
      process.exit(3);`);
    // A long settle: a child that exits during node's boot on a loaded machine must not count as healthy first.
    rig.write('p/devport.toml', `[[service]]\nname = "bad"\ncommand = ["node", "fail.js"]\nno_port = true\nrestart = "never"\n[service.health]\ntype = "process"\nsettle = "3s"\n`);
    const first = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(first.code, 1);
    assert.match(first.stderr, /│ attempt 1 failing/);
    const second = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /│ attempt 2 failing/);
    assert.doesNotMatch(second.stderr, /attempt 1/);
    const logs = await rig.run(['logs', 'bad'], { cwd: P() });
    assert.match(logs.stdout, /attempt 2 failing/);
    assert.doesNotMatch(logs.stdout, /attempt 1/);
    const all = await rig.run(['logs', 'bad', '--all'], { cwd: P() });
    assert.match(all.stdout, /attempt 1 failing[\s\S]*attempt 2 failing/);
    assert.ok(path.isAbsolute(rig.path('p')));
  });
});

describe('restart while a sidecar is between its lock and its rpc.sock', () => {
  test('NOT_RUNNING with a hint, never a crash', async () => {
    rig = new Rig('devport-hard-');
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ${SERVER('api')}\n`);
    const { ensureServiceDir } = await import('../src/state/dirs.js');
    const { acquireLock } = await import('../src/state/lock.js');
    const lock = await acquireLock(ensureServiceDir(rig.path('p/.devport'), 'api'));
    assert.ok(lock.ok);
    try {
      const r = await rig.run(['restart', 'api', '--json'], { cwd: P() });
      assert.equal(r.code, 1);
      const err = JSON.parse(r.stderr) as { code: string; hint: string };
      assert.equal(err.code, 'NOT_RUNNING', r.stderr);
      assert.match(err.hint, /starting/);
    } finally {
      lock.lock.release();
    }
  });
});
