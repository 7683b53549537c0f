// Every machine-readable output of the built CLI, from real runs (a temp
// project, real sidecars, --no-tmux), held to the published schemas by a full
// JSON Schema validator (ajv, strict mode, draft 2020-12, formats checked):
// events on stdout (spec/events.schema.json), `ls` lines (spec/ls.schema.json,
// which points into spec/state.schema.json), state.json files, the error
// object on stderr (spec/error.schema.json), and each verb's own JSON: logs,
// env, attach, init and doctor (spec/<verb>.schema.json).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { ERROR_CODES } from '../src/errors/codes.js';
import { SERVICE_STATES, STATE_SCHEMA } from '../src/state/schema.js';
import { httpServer, REPO, Rig, waitFor, type RunResult } from './rig.js';
import { check as lite } from './schema-lite.js';

const SCHEMAS = ['events', 'state', 'ls', 'error', 'logs', 'env', 'attach', 'init', 'doctor'] as const;
type SchemaName = (typeof SCHEMAS)[number];
const schemaFile = (name: SchemaName) => JSON.parse(readFileSync(path.join(REPO, 'spec', `${name}.schema.json`), 'utf8')) as Record<string, unknown>;

function validator(): (name: SchemaName, value: unknown, what: string) => void {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  formats.default(ajv);
  for (const name of SCHEMAS) ajv.addSchema(schemaFile(name));
  const compiled = new Map(SCHEMAS.map((name) => [name, ajv.getSchema(`https://github.com/devport/devport/spec/${name}.schema.json`)!]));
  return (name, value, what) => {
    const v = compiled.get(name)!;
    if (v(value)) return;
    const errors = (v.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    assert.fail(`${what} does not match spec/${name}.schema.json:\n  ${errors.join('\n  ')}\n${JSON.stringify(value)}`);
  };
}

const check = validator();
const EVENTS = schemaFile('events');
const without = <T extends Record<string, unknown>>(o: T, k: keyof T): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k));

type Ev = { event: string; seq: number; [k: string]: unknown };

/** Every line of stdout is one event of the schema, numbered 1, 2, 3, … */
function eventsOf(stdout: string, what: string): Ev[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  const events = lines.map((l, i) => {
    let e: unknown;
    try {
      e = JSON.parse(l);
    } catch {
      assert.fail(`${what}: stdout line ${i + 1} is not JSON: ${l}`);
    }
    check('events', e, `${what}: stdout line ${i + 1}`);
    // The checker devport and the other tests use agrees (the subset of the schema it knows).
    assert.deepEqual(lite(EVENTS, e), [], `${what}: stdout line ${i + 1} (json-check)`);
    return e as Ev;
  });
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), `${what}: seq counts from 1`);
  return events;
}

/** stderr is exactly one error object of the schema. */
function errorOf(r: Pick<RunResult, 'stderr' | 'code'>, what: string): Record<string, unknown> {
  assert.equal(r.code, 1, `${what}: exit status`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `${what}: stderr is one JSON line:\n${r.stderr}`);
  const e = JSON.parse(lines[0]!) as Record<string, unknown>;
  check('error', e, `${what}: stderr`);
  return e;
}

/** `devport ls`: every line matches the schema; and each state.json there matches the state schema. */
async function lsChecked(rig: Rig, cwd: string, what: string): Promise<Record<string, unknown>[]> {
  const r = await rig.run(['ls'], { cwd, timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  lines.forEach((l, i) => check('ls', l, `${what}: ls line ${i + 1}`));
  return lines;
}

function stateFilesChecked(dir: string, what: string): number {
  let n = 0;
  for (const key of readdirSync(path.join(dir, '.devport'), { withFileTypes: true })) {
    if (!key.isDirectory()) continue;
    let text: string;
    try {
      text = readFileSync(path.join(dir, '.devport', key.name, 'state.json'), 'utf8');
    } catch {
      continue; // a devport dir without a state (isolation, runtime)
    }
    check('state', JSON.parse(text), `${what}: .devport/${key.name}/state.json`);
    assert.deepEqual(lite(STATE_SCHEMA, JSON.parse(text)), [], `${what}: .devport/${key.name}/state.json (json-check, as devport reads it)`);
    n++;
  }
  return n;
}

const PROCESS = `["node", "-e", "setInterval(() => {}, 1000)"]`;
const HTTP = `["node", "-e", "require('http').createServer((q, s) => s.end('api')).listen(process.env.PORT, '127.0.0.1')"]`;

/** A task, a worker, a proxy with an exec route (http health), an http and a static route, and a watched service with a build. */
const STACK = (workerCommand = PROCESS) => `[[service]]
name = "seed"
type = "task"
command = ["node", "-e", "console.log('seeded')"]

[[service]]
name = "worker"
command = ${workerCommand}
no_port = true

[[service]]
name = "app"
command = ${PROCESS}
no_port = true
build = ["node", "build.js"]
watch = ["src.txt"]

[[service]]
type = "proxy"
name = "web"
  [[service.routes]]
  name = "api"
  path = "/api/"
  command = ${HTTP}
  depends_on = ["seed"]
    [service.routes.health]
    type = "http"
    path = "/"
  [[service.routes]]
  path = "/ext/"
  type = "http"
  url = "http://127.0.0.1:9"
  strip_prefix = true
  [[service.routes]]
  path = "/"
  type = "static"
  root = "public"
`;

let rig: Rig | undefined;
afterEach(async () => {
  const left = (await rig?.cleanup()) ?? [];
  rig = undefined;
  assert.deepEqual(left, [], 'processes left behind');
});

describe('--json output against the published schemas (ajv, strict)', () => {
  test('spec/ls.schema.json takes supervisor and state from spec/state.schema.json', () => {
    const ls = schemaFile('ls') as { properties: Record<string, { anyOf?: { $ref?: string }[] }> };
    assert.equal(ls.properties.supervisor?.anyOf?.[0]?.$ref, 'state.schema.json#/$defs/supervisor');
    assert.equal(ls.properties.state?.anyOf?.[0]?.$ref, 'state.schema.json#/$defs/state');
    const state = schemaFile('state') as { properties: Record<string, { $ref?: string }> };
    assert.deepEqual([state.properties.supervisor?.$ref, state.properties.state?.$ref], ['#/$defs/supervisor', '#/$defs/state']);
  });

  test('the schemas name what the code has: every error code, every service state', () => {
    const error = schemaFile('error') as { $defs: { failure: { properties: { code: { enum: string[] } } } } };
    assert.deepEqual(error.$defs.failure.properties.code.enum, Object.keys(ERROR_CODES));
    const events = schemaFile('events') as { $defs: { service_state: { enum: string[] } } };
    assert.deepEqual(events.$defs.service_state.enum, [...SERVICE_STATES]);
  });

  test('the schemas are not too loose: an unknown member, a wrong event body, a bad state are refused', () => {
    const ev = { v: 1, ts: new Date().toISOString(), seq: 1, event: 'info', message: 'hi' };
    assert.doesNotThrow(() => check('events', ev, 'info'));
    assert.throws(() => check('events', { ...ev, extra: 1 }, 'an unknown member'));
    assert.throws(() => check('events', { ...ev, event: 'stopped' }, 'a stopped event with an info body'));
    assert.doesNotThrow(() => check('events', { ...without(ev, 'message'), event: 'service', service: 'a', state: 'healthy', duration_ms: 1 }, 'a service event'));
    assert.throws(() => check('events', { ...without(ev, 'message'), event: 'service', service: 'a', state: 'sleeping', duration_ms: 1 }, 'an unknown state'));
    assert.throws(() => check('events', { ...ev, ts: 'yesterday' }, 'a ts that is not a date-time'));
    const err = { code: 'USAGE', message: 'm', hint: 'h', docs: 'README.md#usage' };
    assert.doesNotThrow(() => check('error', err, 'an error'));
    assert.throws(() => check('error', without(err, 'docs'), 'an error without docs'));
    assert.throws(() => check('error', { ...err, code: 'OOPS' }, 'an unknown code'));
    assert.throws(() => check('error', { ...err, line: 3 }, 'a line without file and col'));
    assert.throws(() => check('error', { ...err, errors: [{ ...err, errors: [] }, err] }, 'nested errors'));
    const ls = { dir: '.devport/a', key: 'a', name: 'a', alive: false, supervisor: null, state: null, problem: null };
    assert.doesNotThrow(() => check('ls', ls, 'an ls line without a state'));
    assert.throws(() => check('ls', { ...ls, state: { state: 'healthy' } }, 'an ls line with half a state'));
  });

  test('a full run: up --dry-run, a foreground up (plan, service, ready, build, reload, info, reconcile), ls, restart, down', async () => {
    rig = new Rig('devport-json-');
    const P = rig.path('p');
    rig.write('p/public/index.html', 'hi\n');
    rig.write('p/build.js', `if (require('fs').readFileSync('src.txt', 'utf8').includes('BROKEN')) { console.error('broken!'); process.exit(3); }`);
    rig.write('p/src.txt', 'v1\n');
    rig.write('p/devport.toml', STACK());

    // up --dry-run --json: one plan event, nothing started.
    const dry = await rig.run(['up', '--dry-run', '--json'], { cwd: P });
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stderr, '');
    const [plan, ...rest] = eventsOf(dry.stdout, 'up --dry-run --json');
    assert.deepEqual([plan?.event, plan?.dry_run, rest.length], ['plan', true, 0]);

    // The foreground up --json.
    const fg = rig.start(['up', '--json', '--no-tmux'], { cwd: P });
    fg.stdin?.end();
    const events = () => fg.output().stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Ev);
    await waitFor('ready', () => events().some((e) => e.event === 'ready'), 60_000);
    const first = eventsOf(fg.output().stdout, 'up --json');
    assert.equal(first[0]?.event, 'plan');
    assert.equal(first[0]?.dry_run, false);
    assert.ok(first.some((e) => e.event === 'service' && e.service === 'web_api' && e.state === 'healthy'));
    assert.equal(first.at(-1)?.event, 'ready');

    // ls and the state files while it runs.
    const live = await lsChecked(rig, P, 'ls of a running stack');
    assert.deepEqual(live.map((l) => [l.key, l.alive]).sort(), [['app', true], ['seed', true], ['web', true], ['web_api', true], ['worker', true]]);
    assert.equal(stateFilesChecked(P, 'a running stack'), 5);

    // restart --json.
    const restarted = await rig.run(['restart', '--json', 'web_api'], { cwd: P, timeoutMs: 30_000 });
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal(restarted.stderr, '');
    const rev = eventsOf(restarted.stdout, 'restart --json');
    assert.ok(rev.some((e) => e.event === 'service' && e.state === 'healthy'), restarted.stdout);

    // A hot reload: a failed build (with its tail), then a good one and the restart.
    await waitFor('app watching', () => /\[devport\] watching \d+ files?/.test(readFileSync(path.join(P, '.devport/app/output.log'), 'utf8')));
    writeFileSync(path.join(P, 'src.txt'), 'v2 BROKEN\n');
    await waitFor('a failed build event', () => events().find((e) => e.event === 'build' && e.ok === false), 20_000);
    writeFileSync(path.join(P, 'src.txt'), 'v3\n');
    await waitFor('a reload event', () => events().find((e) => e.event === 'reload'), 20_000);

    // A spec edit with a mistake: the error object on stderr, an info event on stdout.
    const broken = `${STACK()}\n[[service]]\nname = "oops"\ncomand = ["x"]\n`;
    writeFileSync(path.join(P, 'devport.toml'), broken);
    await waitFor('an info event', () => events().find((e) => e.event === 'info'), 20_000);
    const fgErr = errorOf({ stderr: fg.output().stderr, code: 1 }, 'the foreground up --json given a broken spec');
    assert.equal(fgErr.code, 'SPEC_INVALID');
    assert.equal(fgErr.line, broken.split('\n').indexOf('comand = ["x"]') + 1);

    // Fixed and changed: the foreground reconciles.
    writeFileSync(path.join(P, 'devport.toml'), STACK(`["node", "-e", "setInterval(() => {}, 2000)"]`));
    const rec = await waitFor('a reconcile event', () => events().find((e) => e.event === 'reconcile'), 20_000);
    assert.deepEqual(rec.restarted, ['worker']);
    await waitFor('ready again', () => events().filter((e) => e.event === 'ready').length >= 2, 30_000);

    // down --json from elsewhere: the foreground ends too (exit 0, shutdown).
    const down = await rig.run(['down', '--json'], { cwd: P, timeoutMs: 30_000 });
    assert.equal(down.code, 0, down.stderr);
    const dev = eventsOf(down.stdout, 'down --json');
    assert.deepEqual(dev.filter((e) => e.event === 'stopped').map((e) => e.service).sort(), ['app', 'seed', 'web', 'web_api', 'worker']);
    assert.equal(dev.at(-1)?.event, 'shutdown');
    const code = fg.exitCode ?? (await new Promise<number | null>((r) => fg.once('exit', (c) => r(c))));
    assert.equal(code, 0, fg.output().stderr);
    const all = eventsOf(fg.output().stdout, 'the whole foreground up --json');
    for (const e of ['plan', 'service', 'ready', 'build', 'reload', 'info', 'reconcile', 'stopped', 'shutdown']) assert.ok(all.some((x) => x.event === e), `a ${e} event`);
    assert.equal(all.at(-1)?.event, 'shutdown');
    assert.equal(fg.output().stderr.split('\n').filter((l) => l !== '').length, 1, `the foreground's stderr is the one error object:\n${fg.output().stderr}`);

    // After: ls of a stopped stack, untrusted entries (a symlinked dir, a FIFO state.json), down with nothing running.
    symlinkSync(rig.dir, path.join(P, '.devport', 'evil'));
    mkdirSync(path.join(P, '.devport', 'forged'));
    assert.equal(spawnSync('mkfifo', [path.join(P, '.devport', 'forged', 'state.json')]).status, 0);
    const stopped = await lsChecked(rig, P, 'ls of a stopped stack');
    assert.deepEqual(stopped.filter((l) => l.problem !== null).map((l) => l.key).sort(), ['evil', 'forged']);
    assert.ok(stopped.every((l) => l.alive === false));
    const again = await rig.run(['down', '--json'], { cwd: P, timeoutMs: 30_000 });
    assert.equal(again.code, 0, again.stderr);
    const aev = eventsOf(again.stdout, 'down --json of a stopped stack');
    assert.deepEqual(aev.map((e) => e.event), ['untrusted', 'untrusted', 'shutdown']);

    // Error objects: restart where nothing ever ran, a spec with two mistakes, no spec at all.
    rig.write('never/devport.toml', `[[service]]\nname = "api"\ncommand = ${PROCESS}\n`);
    const notRunning = errorOf(await rig.run(['restart', '--json', 'api'], { cwd: rig.path('never') }), 'restart --json where nothing ran');
    assert.equal(notRunning.code, 'NOT_RUNNING');
    rig.write('q/devport.toml', '[[service]]\nname = "a"\ncomand = ["x"]\n\n[[service]]\nname = "b"\ncommand = "x y"\n');
    const two = errorOf(await rig.run(['up', '--json', '--no-tmux'], { cwd: rig.path('q') }), 'up --json of a spec with two mistakes');
    assert.equal(two.code, 'SPEC_INVALID');
    assert.deepEqual((two.errors as { line: number }[]).map((e) => e.line), [3, 7]);
    rig.write('r/.keep', '');
    const none = errorOf(await rig.run(['up', '--dry-run', '--json'], { cwd: rig.path('r') }), 'up --dry-run --json without a spec');
    assert.equal(none.code, 'SPEC_NOT_FOUND');
    assert.equal(errorOf(await rig.run(['down', '--json'], { cwd: rig.path('r') }), 'down --json without a spec').code, 'SPEC_NOT_FOUND');
    assert.equal(errorOf(await rig.run(['restart', '--json', 'nosuch'], { cwd: P }), 'restart --json of an unknown service').code, 'SERVICE_UNKNOWN');
  });

  test('a failing up --json: events on stdout, then the error object on stderr', async () => {
    rig = new Rig('devport-json-');
    const P = rig.path('p');
    rig.write('p/devport.toml', `[[service]]\nname = "seed"\ntype = "task"\ncommand = ["node", "-e", "console.log('boom'); process.exit(3)"]\n\n[[service]]\nname = "api"\ncommand = ${PROCESS}\ndepends_on = ["seed"]\n`);
    const r = await rig.run(['up', '--json', '--no-tmux'], { cwd: P, timeoutMs: 60_000 });
    const events = eventsOf(r.stdout, 'a failing up --json');
    assert.ok(events.some((e) => e.event === 'service' && e.service === 'seed' && e.state === 'failed' && e.exit_code === 3));
    assert.equal(events.at(-1)?.event, 'shutdown');
    const e = errorOf(r, 'a failing up --json');
    assert.equal(e.code, 'TASK_FAILED');
    assert.match(String(e.detail), /boom/);
    await lsChecked(rig, P, 'ls after a failed up');
    stateFilesChecked(P, 'after a failed up');
  });

  test('up --daemon --json, then up --daemon --json on the running stack (reconcile), then down --json', async () => {
    rig = new Rig('devport-json-');
    const P = rig.path('p');
    const OLD = `\n[[service]]\nname = "old"\ncommand = ${PROCESS}\nno_port = true\n`;
    const spec = (worker: string) => `[[service]]\nname = "api"\ncommand = ${HTTP}\n\n[[service]]\nname = "worker"\ncommand = ${worker}\nno_port = true\ndepends_on = { api = "started" }\n`;
    rig.write('p/devport.toml', spec(PROCESS) + OLD);
    const first = await rig.run(['up', '--daemon', '--json', '--no-tmux'], { cwd: P, timeoutMs: 60_000 });
    assert.equal(first.code, 0, first.stderr);
    const fev = eventsOf(first.stdout, 'up --daemon --json');
    assert.deepEqual([fev[0]?.event, fev.at(-1)?.event], ['plan', 'ready']);
    rig.write('p/devport.toml', spec(`["node", "-e", "setInterval(() => {}, 3000)"]`));
    const second = await rig.run(['up', '--daemon', '--json', '--no-tmux'], { cwd: P, timeoutMs: 60_000 });
    assert.equal(second.code, 0, second.stderr);
    const sev = eventsOf(second.stdout, 'up --daemon --json on a running stack');
    const rec = sev.find((e) => e.event === 'reconcile');
    assert.deepEqual([rec?.restarted, rec?.stopped, rec?.unchanged], [['worker'], ['old'], ['api']]);
    assert.equal(sev.at(-1)?.event, 'ready');
    await lsChecked(rig, P, 'ls after a reconcile');
    stateFilesChecked(P, 'after a reconcile');
    const down = await rig.run(['down', '--json'], { cwd: P, timeoutMs: 30_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.equal(eventsOf(down.stdout, 'down --json').at(-1)?.event, 'shutdown');
  });

  test('a command line devport does not understand, with --json: one USAGE error object', async () => {
    rig = new Rig('devport-json-');
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ${PROCESS}\n`);
    const e = errorOf(await rig.run(['up', '--json', '--bogus'], { cwd: rig.path('p') }), 'up --json --bogus');
    assert.equal(e.code, 'USAGE');
  });

  test('every other verb: ps, start, stop, env, logs, attach, doctor and init --json', async () => {
    const r0 = new Rig('devport-json-');
    rig = r0;
    const P = r0.path('p');
    r0.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ${httpServer('api')}\n\n[[service]]\nname = "talk"\ncommand = ["node", "-e", "setInterval(() => console.log('hi'), 100)"]\nno_port = true\n`);
    // In tmux: attach --json has a pane to name.
    const up = await r0.run(['up', '--daemon', '--json'], { cwd: P, timeoutMs: 30_000 });
    assert.equal(up.code, 0, up.stderr);
    eventsOf(up.stdout, 'up --daemon --json');
    const ps = await r0.run(['ps', '--json'], { cwd: P });
    ps.stdout.split('\n').filter(Boolean).forEach((l, i) => check('ls', JSON.parse(l), `ps --json line ${i + 1}`));
    const stop = await r0.run(['stop', '--json', 'talk'], { cwd: P });
    assert.equal(stop.code, 0, stop.stderr);
    assert.deepEqual(eventsOf(stop.stdout, 'stop --json').map((e) => e.event), ['stopped', 'shutdown']);
    const start = await r0.run(['start', '--json', 'talk'], { cwd: P, timeoutMs: 30_000 });
    assert.equal(start.code, 0, start.stderr);
    assert.equal(eventsOf(start.stdout, 'start --json').at(-1)?.event, 'ready');
    for (const args of [['env', '--json'], ['env', 'api', '--json']]) {
      const r = await r0.run(args, { cwd: P });
      assert.equal(r.code, 0, r.stderr);
      check('env', JSON.parse(r.stdout), args.join(' '));
    }
    await waitFor('talk output', async () => (await r0.run(['logs', 'talk', '-n', '2'], { cwd: P })).stdout.split('\n').filter(Boolean).length === 2);
    const logs = await r0.run(['logs', '--json', '-n', '5'], { cwd: P });
    assert.equal(logs.code, 0, logs.stderr);
    const lines = logs.stdout.split('\n').filter(Boolean);
    assert.ok(lines.length > 0);
    lines.forEach((l, i) => check('logs', JSON.parse(l), `logs --json line ${i + 1}`));
    const attach = await r0.run(['attach', '--json', 'api'], { cwd: P });
    assert.equal(attach.code, 0, attach.stderr);
    check('attach', JSON.parse(attach.stdout), 'attach --json');
    const doctor = await r0.run(['doctor', '--json'], { cwd: P, timeoutMs: 30_000 });
    check('doctor', JSON.parse(doctor.stdout), 'doctor --json');
    assert.equal((await r0.run(['down', '--json'], { cwd: P })).code, 0);
    rig.write('i/Procfile', 'web: node server.js\nworker: node worker.js\n');
    const init = await r0.run(['init', '--json'], { cwd: rig.path('i') });
    assert.equal(init.code, 0, init.stderr);
    check('init', JSON.parse(init.stdout), 'init --json');
  });
});
