// The command line agents and people use: per-service start/stop, ps, run/env,
// ls filters, logs (--json, --since, --no-prefix, -n checked), attach --json,
// errors (one JSON object, `service`, flags checked before anything starts),
// events (`ready` with ports; restart's events), the progress display.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import { prefixer } from '../src/stack/follow.js';
import { cutToWidth } from '../src/util/text.js';
import { CLI, httpServer, lsOf, Rig, waitFor } from './rig.js';

let rig: Rig;
afterEach(async () => {
  const left = await rig.cleanup();
  assert.deepEqual(left, [], 'processes left behind');
});

const P = () => rig.path('p');
const SPEC = `env_file = ".env"
[env]
GREETING = "hello"

[[service]]
name = "db"
command = ["node", "-e", "require('net').createServer(() => {}).listen(process.env.PORT, '127.0.0.1'); setInterval(() => console.log('db tick'), 100)"]

[[service]]
name = "web-api"
command = ${httpServer('api')}
depends_on = ["db"]
env = { LEVEL = "debug" }
`;

async function upStack(): Promise<void> {
  rig = new Rig('devport-surface-');
  rig.write('p/devport.toml', SPEC);
  rig.write('p/.env', 'SECRET=s3\n');
  const r = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
  assert.equal(r.code, 0, r.stderr);
}

const json = <T>(text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

describe('ls and ps', () => {
  test('ls filters by key or name, names each line, takes --json; ps is a table', async () => {
    await upStack();
    const all = await lsOf(rig, P());
    assert.deepEqual(all.map((e) => [e.key, (e as unknown as { name: string }).name]), [['db', 'db'], ['web_api', 'web-api']]);
    for (const args of [['ls', 'web_api'], ['ls', 'web-api'], ['ls', '--json', 'web_api']]) {
      const r = await rig.run(args, { cwd: P() });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(json<{ key: string }>(r.stdout).map((e) => e.key), ['web_api'], args.join(' '));
    }
    const unknown = await rig.run(['ls', 'nope'], { cwd: P() });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error\[SERVICE_UNKNOWN\]: no service "nope" in this stack/);
    const ps = await rig.run(['ps'], { cwd: P() });
    assert.equal(ps.code, 0, ps.stderr);
    const rows = ps.stdout.trim().split('\n');
    assert.match(rows[0] ?? '', /^NAME\s+STATE\s+URL\s+PID\s+UPTIME\s+RESTARTS\s+HEALTH$/);
    const api = all.find((e) => e.key === 'web_api');
    assert.match(rows[2] ?? '', new RegExp(`^web_api \\(web-api\\)\\s+healthy\\s+http://127\\.0\\.0\\.1:${api?.state?.port}\\s+${api?.state?.pid}\\s+\\d+[smhd]`));
    const psJson = await rig.run(['ps', '--json'], { cwd: P() });
    assert.deepEqual(json(psJson.stdout), json((await rig.run(['ls'], { cwd: P() })).stdout).map((l) => l));
    await rig.run(['down'], { cwd: P() });
  });
});

describe('start, stop, restart of one service', () => {
  test('stop leaves the rest running; start brings it back on its port; restart revives a kill -9ed sidecar', async () => {
    await upStack();
    const before = await lsOf(rig, P());
    const port = before.find((e) => e.key === 'web_api')?.state?.port;
    const stop = await rig.run(['stop', 'web-api'], { cwd: P() });
    assert.equal(stop.code, 0, stop.stderr);
    let now = await lsOf(rig, P());
    assert.deepEqual(now.map((e) => [e.key, e.alive, e.state?.state]), [['db', true, 'healthy'], ['web_api', false, 'stopped']]);
    const start = await rig.run(['start', 'web-api', '--json'], { cwd: P() });
    assert.equal(start.code, 0, start.stderr);
    const ready = json<{ event: string; services?: { service: string; port: number }[] }>(start.stdout).find((e) => e.event === 'ready');
    assert.deepEqual(ready?.services?.map((s) => [s.service, s.port]), [['web_api', port]]);
    now = await lsOf(rig, P());
    assert.equal(now.find((e) => e.key === 'db')?.state?.pid, before.find((e) => e.key === 'db')?.state?.pid, 'db untouched');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'api');
    // kill -9 of a sidecar: `restart` starts it again (there is no sidecar to ask).
    process.kill(now.find((e) => e.key === 'db')?.supervisor?.pid ?? 0, 'SIGKILL');
    await waitFor('db sidecar gone', async () => !(await lsOf(rig, P())).find((e) => e.key === 'db')?.alive);
    const restart = await rig.run(['restart', 'db'], { cwd: P() });
    assert.equal(restart.code, 0, restart.stderr);
    assert.deepEqual((await lsOf(rig, P())).map((e) => [e.key, e.alive, e.state?.state]), [['db', true, 'healthy'], ['web_api', true, 'healthy']]);
    await rig.run(['down'], { cwd: P() });
  });

  test('restart --json reports the changes after the restart and ends with ready; before any up: NOT_RUNNING', async () => {
    rig = new Rig('devport-surface-');
    rig.write('p/devport.toml', SPEC);
    rig.write('p/.env', 'SECRET=s3\n');
    const early = await rig.run(['restart', 'db', '--json'], { cwd: P() });
    assert.equal(early.code, 1);
    assert.equal((JSON.parse(early.stderr) as { code: string }).code, 'NOT_RUNNING');
    assert.equal((await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() })).code, 0);
    const r = await rig.run(['restart', 'db', '--json'], { cwd: P() });
    assert.equal(r.code, 0, r.stderr);
    const events = json<{ event: string; state?: string; restarts?: number; services?: { service: string; state: string; port: number | null }[] }>(r.stdout);
    assert.notEqual(events[0]?.state, 'healthy', 'not the state before the restart');
    const last = events.at(-1);
    assert.equal(last?.event, 'ready');
    assert.deepEqual(last?.services?.map((s) => [s.service, s.state, typeof s.port]), [['db', 'healthy', 'number']]);
    await rig.run(['down'], { cwd: P() });
  });
});

describe('run and env', () => {
  test("env prints the stack's variables (a service's when named); run gives them to a command, with its exit code and without the service marker", async () => {
    await upStack();
    const ls = await lsOf(rig, P());
    const apiPort = ls.find((e) => e.key === 'web_api')?.state?.port;
    const env = await rig.run(['env'], { cwd: P() });
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, new RegExp(`^WEB_API_PORT=${apiPort}$`, 'm'));
    assert.match(env.stdout, /^SECRET=s3$/m);
    assert.match(env.stdout, /^GREETING=hello$/m);
    assert.doesNotMatch(env.stdout, /^PORT=/m, 'no per-service PORT at the stack level');
    const apiEnv = JSON.parse((await rig.run(['env', 'web-api', '--json'], { cwd: P() })).stdout) as Record<string, string>;
    assert.equal(apiEnv.PORT, String(apiPort));
    assert.equal(apiEnv.LEVEL, 'debug');
    const run = await rig.run(['run', '--', 'sh', '-c', 'echo "$WEB_API_PORT $SECRET ${DEVPORT_KEY:-none}"; exit 3'], { cwd: P() });
    assert.equal(run.code, 3);
    assert.equal(run.stdout, `${apiPort} s3 none\n`);
    const svc = await rig.run(['run', '--file', 'p/devport.toml', '--service', 'web_api', '--', 'sh', '-c', 'echo "$PORT $LEVEL ${DEVPORT_KEY:-none} $(pwd)"'], { cwd: rig.dir });
    assert.equal(svc.code, 0, svc.stderr);
    assert.equal(svc.stdout, `${apiPort} debug none ${P()}\n`);
    await rig.run(['down'], { cwd: P() });
  });
});

describe('logs', () => {
  test('-n is checked; --json has service, generation, ts and text; --since; --no-prefix', async () => {
    await upStack();
    for (const bad of ['abc', '-5']) {
      const r = await rig.run(['logs', '-n', bad], { cwd: P() });
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, /error\[USAGE\]: -n .* is not a number of lines/);
    }
    await waitFor('ticks', async () => (await rig.run(['logs', 'db', '-n', '3'], { cwd: P() })).stdout.split('\n').filter(Boolean).length === 3);
    const lines = json<{ service: string; generation: number; ts: string; text: string }>((await rig.run(['logs', 'db', '-n', '3', '--json'], { cwd: P() })).stdout);
    assert.equal(lines.length, 3);
    for (const l of lines) {
      assert.deepEqual([l.service, l.generation, l.text], ['db', 1, 'db tick']);
      assert.ok(Date.now() - Date.parse(l.ts) < 60_000, l.ts);
    }
    const plain = (await rig.run(['logs', 'db', '-n', '2', '--no-prefix'], { cwd: P() })).stdout;
    assert.equal(plain, 'db tick\ndb tick\n');
    const recent = (await rig.run(['logs', 'db', '--since', '1h'], { cwd: P() })).stdout.split('\n').filter(Boolean);
    assert.ok(recent.length >= 3 && recent.every((l) => /^db \| db tick$/.test(l)), recent.join('\n'));
    await rig.run(['down'], { cwd: P() });
  });
});

describe('errors and flags', () => {
  test('flags are checked before anything starts; --json errors are one object; failures name their service', async () => {
    rig = new Rig('devport-surface-');
    rig.write('p/devport.toml', `[[service]]\nname = "bad"\ncommand = ["sh", "-c", "echo nope; exit 2"]\nno_port = true\nrestart = "never"\n[service.health]\ntype = "process"\nsettle = "3s"\n`);
    const checks: [string[], RegExp][] = [
      [['up', '--dry-run', '--wait-timeout', '5x'], /error\[USAGE\]: --wait-timeout 5x is not a duration/],
      [['up', '--daemon', '--host', 'not-an-ip'], /error\[USAGE\]: --host not-an-ip is not an address to bind/],
      [['up', '-f', 'devport.toml'], /error\[USAGE\]: unknown option '-f'/],
    ];
    for (const [args, re] of checks) {
      const r = await rig.run(args, { cwd: P() });
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
    }
    assert.deepEqual(await lsOf(rig, P()), [], 'nothing started');
    const usage = await rig.run(['up', '--json', '--nope'], { cwd: P() });
    assert.equal(usage.code, 1);
    assert.equal(usage.stderr.trim().split('\n').length, 1, `exactly one line: ${usage.stderr}`);
    assert.equal((JSON.parse(usage.stderr) as { code: string }).code, 'USAGE');
    const failed = await rig.run(['up', '--daemon', '--no-tmux', '--json'], { cwd: P() });
    assert.equal(failed.code, 1);
    const err = JSON.parse(failed.stderr) as { code: string; service: string };
    assert.deepEqual([err.code, err.service], ['SERVICE_UNHEALTHY', 'bad']);
  });

  test('the ready event carries ports; attach --json says where to attach', async () => {
    rig = new Rig('devport-surface-');
    rig.write('p/devport.toml', SPEC);
    rig.write('p/.env', 'SECRET=s3\n');
    const up = await rig.run(['up', '--daemon', '--json'], { cwd: P() });
    assert.equal(up.code, 0, up.stderr);
    const ready = json<{ event: string; services?: { service: string; port: number; url: string }[] }>(up.stdout).find((e) => e.event === 'ready');
    for (const s of ready?.services ?? []) assert.equal(s.url, `http://127.0.0.1:${s.port}`);
    const at = await rig.run(['attach', 'db', '--json'], { cwd: P() });
    assert.equal(at.code, 0, at.stderr);
    const where = JSON.parse(at.stdout) as { session: string; target: string; command: string[] };
    assert.match(where.target, /^%\d+$/);
    assert.deepEqual(where.command.slice(-3), ['attach-session', '-t', where.target]);
    await rig.run(['down'], { cwd: P() });
  });
});

describe('display', () => {
  test('a service has one colour everywhere; lines are cut to the width', () => {
    const a = prefixer(['db', 'web_api'], { color: true })('web_api', 'x');
    const b = prefixer(['web_api'], { color: true })('web_api', 'x');
    assert.equal(a.slice(0, 5), b.slice(0, 5), 'the same colour code with or without other services');
    assert.equal(cutToWidth('\u001b[32mhello world\u001b[39m', 5), '\u001b[32mhello\u001b[0m');
  });

  test('a narrow terminal and TERM=dumb get a line per change, never a redraw; "1 service"', () => {
    rig = new Rig('devport-surface-');
    rig.write('p/devport.toml', `[[service]]\nname = "only"\ncommand = ${httpServer('x')}\n`);
    // `script` gives up a real pty; COLUMNS and TERM as a narrow or dumb terminal would set them.
    for (const [term, cols] of [['xterm-256color', '38'], ['dumb', '120']] as const) {
      const out = rig.path(`typescript-${term}`);
      const r = spawnSync('script', ['-qec', `stty cols ${cols}; TERM=${term} "${process.execPath}" "${CLI}" up --daemon --no-tmux`, out], { cwd: P(), env: rig.env(), encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const raw = readFileSync(out, 'utf8');
      assert.doesNotMatch(raw, /\u001b\[\d+A/, `${term}/${cols}: no cursor-up redraw`);
      assert.match(raw, /devport up 1 service ·/);
      assert.equal(spawnSync(process.execPath, [CLI, 'down'], { cwd: P(), env: rig.env() }).status, 0);
    }
  });
});
