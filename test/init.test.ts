// `devport init`: each fixture (modelled on real projects) through the built CLI,
// the written spec loaded as `up` loads it, and the translators' small parts.

import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { containerPort } from '../src/init/compose.js';
import { envPairs } from '../src/init/process-compose.js';
import { parseCommand, shellText, splitWords } from '../src/init/shell.js';
import { str } from '../src/init/toml.js';
import { loadSpec, type LoadedSpec } from '../src/spec/load.js';
import type { ExecService, ServiceSpec, TaskService } from '../src/spec/model.js';
import { REPO, Rig } from './rig.js';

const rig = new Rig('devport-init-');
after(async () => assert.deepEqual(await rig.cleanup(), []));

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'init');

interface Report {
  file: string;
  services: { name: string; from: string }[];
  untranslated: { file: string; key: string; why: string }[];
}

/** Copies a fixture, runs `devport init --json` in it, and loads what it wrote. */
async function initFixture(name: string): Promise<{ report: Report; spec: LoadedSpec; text: string; dir: string }> {
  const dir = rig.path(name);
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  const r = await rig.run(['init', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on stdout');
  const report = JSON.parse(lines[0] ?? '{}') as Report;
  assert.equal(report.file, 'devport.toml');
  const loaded = loadSpec(path.join(dir, 'devport.toml'));
  assert.ok(loaded.ok, `the written spec loads: ${loaded.ok ? '' : loaded.failures.map((f) => f.message).join('; ')}`);
  return { report, spec: loaded.value, text: readFileSync(path.join(dir, 'devport.toml'), 'utf8'), dir };
}

const svc = (spec: LoadedSpec, name: string): ServiceSpec => {
  const s = spec.spec.services.find((x) => x.name === name);
  assert.ok(s, `service ${name}`);
  return s;
};
const exec = (spec: LoadedSpec, name: string) => svc(spec, name) as ExecService;
const keys = (r: Report) => r.untranslated.map((u) => `${u.file} ${u.key}`);

describe('devport init: fixtures', () => {
  test('Rails Procfile.dev: shell syntax → sh -c, $PORT kept, workers without a port, .env loaded', async () => {
    const { report, spec, text } = await initFixture('rails');
    assert.deepEqual(report.services, [
      { name: 'web', from: 'Procfile.dev web' },
      { name: 'js', from: 'Procfile.dev js' },
      { name: 'css', from: 'Procfile.dev css' },
      { name: 'worker', from: 'Procfile.dev worker' },
    ]);
    // ${PORT:-3000} has no devport spelling; devport always sets PORT, so $PORT means the same.
    assert.deepEqual(exec(spec, 'web').command, ['sh', '-c', 'env RUBY_DEBUG_OPEN=true bin/rails server -b 0.0.0.0 -p $PORT']);
    assert.equal(exec(spec, 'web').noPort, false);
    assert.deepEqual(exec(spec, 'css').command, ['yarn', 'build:css', '--watch']);
    assert.equal(exec(spec, 'js').noPort, true);
    assert.equal(exec(spec, 'worker').noPort, true);
    assert.deepEqual(spec.spec.envFiles.map((f) => path.basename(f.file)), ['.env']);
    assert.deepEqual(keys(report), ['Procfile ']);
    assert.match(text, /^# from Procfile\.dev web: env RUBY_DEBUG_OPEN=true bin\/rails server -b 0\.0\.0\.0 -p \$\{PORT:-3000\}$/m);
    assert.match(text, /# Not translated/);
  });

  test('overmind Procfile: PORT=N fixes the port, concurrency and release are reported or become a task', async () => {
    const { report, spec } = await initFixture('overmind');
    const web = exec(spec, 'web');
    assert.deepEqual(web.command, ['bundle', 'exec', 'puma', '-C', 'config/puma.rb']);
    assert.equal(web.port, 3000);
    // The second PORT=3000 is not a listener: the assignment stays in its command.
    const worker = exec(spec, 'worker');
    assert.deepEqual(worker.command, ['env', 'PORT=3000', 'bundle', 'exec', 'sidekiq']);
    assert.equal(worker.noPort, true);
    assert.equal(worker.restart, 'always'); // OVERMIND_AUTO_RESTART
    assert.equal(exec(spec, 'stream').port, 4000);
    const release = svc(spec, 'release') as TaskService;
    assert.equal(release.type, 'task');
    for (const name of ['web', 'worker', 'stream', 'webpack']) {
      assert.deepEqual(exec(spec, name).dependsOn.map((d) => [d.name, d.condition]), [['release', 'completed']]);
    }
    assert.deepEqual(spec.spec.env.map((e) => [e.name, e.value]), [['RAILS_ENV', 'development']]);
    const formation = report.untranslated.find((u) => u.key === 'OVERMIND_FORMATION worker=2');
    assert.equal(formation?.file, '.overmind.env');
    assert.match(formation?.why ?? '', /one process per service/);
  });

  test('process-compose.yaml: conditions, probes, one-shot processes as tasks, shutdown, what is left out', async () => {
    const { report, spec } = await initFixture('process-compose');
    assert.deepEqual(report.services.map((s) => s.name), ['postgres', 'postgres_init', 'api', 'front', 'worker', 'nginx']);
    const pg = exec(spec, 'postgres');
    assert.deepEqual(pg.command, ['./scripts/start-db.sh']); // `exec` dropped: devport execs anyway
    assert.equal(pg.restart, 'never');
    assert.equal(pg.stopSignal, 'SIGINT'); // signal: 2
    assert.equal(pg.noPort, true);
    assert.equal(pg.health.type, 'cmd');
    assert.deepEqual(pg.health.command, ['env', '-u', 'PGUSER', 'psql', '--command', 'show timezone;', '--dbname', 'postgres']);
    assert.equal(pg.health.probeTimeoutMs, 4000);
    // Waited on with process_completed_successfully: a task.
    assert.equal(svc(spec, 'postgres_init').type, 'task');
    assert.deepEqual((svc(spec, 'postgres_init') as TaskService).dependsOn.map((d) => [d.name, d.condition]), [['postgres', 'healthy']]);
    const api = exec(spec, 'api');
    assert.equal(api.port, 8090);
    assert.equal(api.cwd, './api');
    assert.equal(api.restart, 'on-failure');
    assert.equal(api.stopTimeoutMs, 20_000);
    assert.deepEqual([api.health.type, api.health.path, api.health.intervalMs], ['http', '/health', 2000]);
    assert.deepEqual(api.dependsOn.map((d) => [d.name, d.condition]), [['postgres_init', 'completed']]);
    assert.deepEqual(Object.fromEntries(api.env.map((e) => [e.name, e.value])), {
      DATABASE_URL: 'postgres://app:password@localhost/app',
      VALKEY_URL: 'redis://localhost',
      API_NO_CACHE: 'false',
      DATA_DIR: '${HOME}/.cache/app',
    });
    assert.deepEqual(exec(spec, 'front').command, ['bash', '-c', 'npm install\nnpm start']);
    assert.deepEqual(exec(spec, 'front').dependsOn.map((d) => [d.name, d.condition]), [['api', 'healthy']]);
    assert.deepEqual(exec(spec, 'worker').dependsOn.map((d) => [d.name, d.condition]), [['api', 'started']]);
    assert.equal(svc(spec, 'nginx').type, 'task'); // is_daemon
    assert.ok(!spec.spec.services.some((s) => s.name === 'docs'), 'disabled: not added');
    assert.deepEqual(spec.spec.env.map((e) => e.name), ['RUST_LOG', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
    const k = keys(report);
    for (const key of [
      'process-compose.yaml is_strict',
      'process-compose.yaml processes.postgres.readiness_probe.initial_delay_seconds',
      'process-compose.yaml processes.postgres.readiness_probe.failure_threshold',
      'process-compose.yaml processes.api.availability.backoff_seconds',
      'process-compose.yaml processes.api.environment.API_NO_CACHE',
      'process-compose.yaml processes.front.ready_log_line',
      'process-compose.yaml processes.worker.replicas',
      'process-compose.yaml processes.docs.disabled',
      'process-compose.yaml processes.nginx.is_daemon',
      'process-compose.yaml processes.nginx.shutdown.command',
    ]) assert.ok(k.includes(key), `${key} is reported`);
  });

  test('compose.yaml: one compose node per service, container ports, profiles, builds and one-shots reported', async () => {
    const { report, spec, text } = await initFixture('compose');
    assert.deepEqual(report.services.map((s) => s.name), ['web', 'postgres', 'redis']);
    for (const s of spec.spec.services) {
      assert.equal(s.type, 'compose');
      if (s.type === 'compose') assert.deepEqual(s.services, [s.name]);
    }
    const port = (n: string) => (svc(spec, n).type === 'compose' ? (svc(spec, n) as { port: number | undefined }).port : undefined);
    assert.equal(port('web'), 3000);
    assert.equal(port('postgres'), 5432); // "127.0.0.1:5432:5432"
    assert.equal(port('redis'), 6379); // a bare container port
    const web = svc(spec, 'web');
    assert.deepEqual(web.type === 'compose' ? web.dependsOn.map((d) => [d.name, d.condition]) : [], [['postgres', 'healthy'], ['redis', 'started']]);
    const pg = svc(spec, 'postgres');
    assert.equal(pg.type === 'compose' ? pg.stopTimeoutMs : 0, 30_000); // stop_grace_period
    const k = keys(report);
    assert.ok(k.includes('compose.yaml services.web.build'));
    assert.ok(k.includes('compose.yaml services.mailpit.profiles'));
    assert.ok(k.includes('compose.yaml services.migrate'), 'a one-shot is not a node');
    assert.match(text, /devport's own compose project name/);
  });

  test('package.json: the dev script with npm; start is reported', async () => {
    const { report, spec } = await initFixture('node-next');
    assert.deepEqual(report.services, [{ name: 'web', from: 'package.json scripts.dev' }]);
    assert.deepEqual(exec(spec, 'web').command, ['npm', 'run', 'dev']);
    assert.deepEqual(keys(report), ['package.json scripts.start']);
  });

  test('package.json: Vite is told the port, with the package manager it declares; the plan fills ${PORT}', async () => {
    const { spec, dir } = await initFixture('node-vite');
    assert.deepEqual(exec(spec, 'web').command, ['pnpm', 'run', 'dev', '--port', '${PORT}', '--strictPort']);
    const r = await rig.run(['up', '--dry-run', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout.trim().split('\n')[0] ?? '{}') as { services: { key: string; port: number; command: string[] }[] };
    const web = plan.services.find((s) => s.key === 'web');
    assert.deepEqual(web?.command, ['pnpm', 'run', 'dev', '--port', String(web?.port), '--strictPort']);
  });

  test('all sources combined: a taken name is renamed, a script the Procfile runs is not added twice', async () => {
    const { report, spec } = await initFixture('combined');
    assert.deepEqual(report.services, [
      { name: 'web', from: 'Procfile.dev web' },
      { name: 'js', from: 'Procfile.dev js' },
      { name: 'css', from: 'Procfile.dev css' },
      { name: 'postgres', from: 'compose.yaml services.postgres' },
      { name: 'web-compose', from: 'compose.yaml services.web' },
    ]);
    assert.equal(exec(spec, 'web').port, 3000); // -p 3000
    const wc = svc(spec, 'web-compose');
    assert.equal(wc.type, 'compose');
    if (wc.type === 'compose') {
      assert.deepEqual(wc.services, ['web']);
      assert.equal(wc.port, 3000); // long syntax: target
      assert.deepEqual(wc.dependsOn.map((d) => [d.name, d.condition]), [['postgres', 'started']]);
    }
    const dup = report.untranslated.find((u) => u.key === 'scripts.dev');
    assert.match(dup?.why ?? '', /already run by Procfile\.dev js/);
  });

  test('nothing to translate: a minimal example, and it says so', async () => {
    const dir = rig.path('empty');
    cpSync(path.join(FIXTURES, 'empty'), dir, { recursive: true });
    const r = await rig.run(['init'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing to translate here/);
    const loaded = loadSpec(path.join(dir, 'devport.toml'));
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.value.spec.services.map((s) => s.name), ['web']);
    assert.match(readFileSync(path.join(dir, 'devport.toml'), 'utf8'), /nothing to translate here/);
  });
});

describe('devport init: the command', () => {
  test('refuses to overwrite a spec (SPEC_EXISTS); --force replaces it; --stdout writes nothing', async () => {
    const dir = rig.path('exists');
    rig.write('exists/Procfile', 'web: node server.js\n');
    rig.write('exists/devport.toml', '# mine\n');
    const r = await rig.run(['init', 'exists']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error\[SPEC_EXISTS\]: exists\/devport\.toml exists already/);
    assert.match(r.stderr, /hint: .*--force.*--stdout/);
    const j = await rig.run(['init', '--json'], { cwd: dir });
    assert.equal(JSON.parse(j.stderr).code, 'SPEC_EXISTS');
    assert.equal(j.stdout, '');
    assert.equal(readFileSync(path.join(dir, 'devport.toml'), 'utf8'), '# mine\n');
    const s = await rig.run(['init', '--stdout', dir]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^command = \["node", "server\.js"\]$/m);
    assert.match(s.stderr, /printed the spec with 1 service/);
    assert.equal(readFileSync(path.join(dir, 'devport.toml'), 'utf8'), '# mine\n');
    const f = await rig.run(['init', '--force'], { cwd: dir });
    assert.equal(f.code, 0, f.stderr);
    assert.equal(readFileSync(path.join(dir, 'devport.toml'), 'utf8'), s.stdout);
  });

  test('--json with --stdout is FLAG_CONFLICT; a missing directory is USAGE', async () => {
    const a = await rig.run(['init', '--json', '--stdout']);
    assert.equal(a.code, 1);
    assert.equal(JSON.parse(a.stderr).code, 'FLAG_CONFLICT');
    const b = await rig.run(['init', 'no/such/dir']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /error\[USAGE\]: no\/such\/dir is not a directory/);
  });

  test('invalid YAML, reserved and colliding names: reported or renamed, and the spec still loads', async () => {
    const dir = rig.path('odd');
    rig.write('odd/Procfile', 'runtime: node rt.js\nweb-1: node a.js $PORT\nweb_1: node b.js\n# a comment\nnot a process line\n');
    rig.write('odd/compose.yaml', 'services:\n  db: [\n');
    const r = await rig.run(['init', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(report.services.map((s) => s.name), ['runtime-procfile', 'web-1', 'web_1-procfile']);
    assert.ok(report.untranslated.some((u) => u.file === 'compose.yaml' && /not valid YAML \(line \d+\)/.test(u.why)));
    assert.ok(report.untranslated.some((u) => u.file === 'Procfile' && u.key === 'line 5'));
    assert.ok(loadSpec(path.join(dir, 'devport.toml')).ok);
  });

  test('a fixed port used twice across sources: the second gets an allocated one', async () => {
    const dir = rig.path('ports');
    rig.write('ports/Procfile', 'web: node a.js -p 4100\n');
    rig.write('ports/process-compose.yaml', 'processes:\n  api:\n    command: node b.js --port=4100\n');
    const r = await rig.run(['init', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const loaded = loadSpec(path.join(dir, 'devport.toml'));
    assert.ok(loaded.ok);
    assert.equal(exec(loaded.value, 'web').port, 4100);
    assert.equal(exec(loaded.value, 'api').port, undefined);
    assert.ok((JSON.parse(r.stdout) as Report).untranslated.some((u) => u.key === 'processes.api' && /port 4100/.test(u.why)));
  });

  test('package.json: a script that names its port keeps it; yarn.lock means yarn', async () => {
    const dir = rig.path('next-port');
    rig.write('next-port/package.json', JSON.stringify({ scripts: { dev: 'next dev -p 4000' } }));
    rig.write('next-port/yarn.lock', '');
    const r = await rig.run(['init', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const loaded = loadSpec(path.join(dir, 'devport.toml'));
    assert.ok(loaded.ok);
    assert.deepEqual(exec(loaded.value, 'web').command, ['yarn', 'run', 'dev']);
    assert.equal(exec(loaded.value, 'web').port, 4000);
  });

  test("process-compose: a process's own <NAME>_PORT in its environment is its port (devport then sets it)", async () => {
    const dir = rig.path('own-port');
    rig.write('own-port/process-compose.yaml', 'processes:\n  editoast:\n    command: cargo run -- runserver\n    environment:\n      - "EDITOAST_PORT=8090"\n');
    const r = await rig.run(['init', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const loaded = loadSpec(path.join(dir, 'devport.toml'));
    assert.ok(loaded.ok);
    assert.equal(exec(loaded.value, 'editoast').port, 8090);
    assert.deepEqual(exec(loaded.value, 'editoast').env, []);
  });

  test('a dependency cycle in process-compose.yaml is broken where it closes', async () => {
    const dir = rig.path('cycle');
    rig.write('cycle/process-compose.yaml', 'processes:\n  a:\n    command: sleep 1\n    depends_on: {b: {condition: process_started}}\n  b:\n    command: sleep 1\n    depends_on: {a: {condition: process_started}}\n');
    const r = await rig.run(['init', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(loadSpec(path.join(dir, 'devport.toml')).ok);
    assert.ok((JSON.parse(r.stdout) as Report).untranslated.some((u) => /cycle/.test(u.why)));
  });
});

describe('devport init: translating commands', () => {
  test('plain words split (quotes kept together); shell syntax does not', () => {
    assert.deepEqual(splitWords('bin/rails server -b 0.0.0.0'), ['bin/rails', 'server', '-b', '0.0.0.0']);
    assert.deepEqual(splitWords(`psql --command 'show timezone;' -d "my db"`), ['psql', '--command', 'show timezone;', '-d', 'my db']);
    for (const text of ['a && b', 'a | b', 'echo $HOME', 'echo "$HOME"', 'ls *.ts', 'a; b', 'x > log', '~/bin/x', 'echo `date`', "echo 'unterminated"]) {
      assert.equal(splitWords(text), undefined, text);
    }
  });

  test('leading assignments, `env`, `exec` and builtins', () => {
    assert.deepEqual(parseCommand('PORT=3000 RAILS_ENV=dev bundle exec puma'), { assignments: [['PORT', '3000'], ['RAILS_ENV', 'dev']], words: ['bundle', 'exec', 'puma'], text: 'PORT=3000 RAILS_ENV=dev bundle exec puma' });
    assert.deepEqual(parseCommand('env A=1 node x.js').assignments, [['A', '1']]);
    assert.deepEqual(parseCommand('exec ./start.sh').words, ['./start.sh']);
    assert.equal(parseCommand('cd web && npm start').words, undefined);
    assert.equal(parseCommand('source .venv/bin/activate').words, undefined);
    assert.equal(parseCommand('A=1').words, undefined);
  });

  test("shell text is made safe for devport's ${…} templates", () => {
    assert.deepEqual(shellText('rails s -p ${PORT:-3000}'), { text: 'rails s -p $PORT', problems: [] });
    assert.deepEqual(shellText('echo ${HOME}/x ${USER}name'), { text: 'echo $HOME/x ${USER}name', problems: [] });
    assert.deepEqual(shellText('kill $$'), { text: 'kill $$$$', problems: [] }); // devport's `$$` is one `$`
    assert.equal(shellText('echo \\$HOME').text, 'echo \\$$HOME');
    const d = shellText('run --env ${APP_ENV:-dev}');
    assert.equal(d.text, 'run --env $APP_ENV');
    assert.match(d.problems[0] ?? '', /no shell default/);
    assert.match(shellText('echo ${#x}').problems[0] ?? '', /no devport spelling/);
  });

  test('compose ports → the container port', () => {
    assert.deepEqual(containerPort('3000'), { port: 3000 });
    assert.deepEqual(containerPort(6379), { port: 6379 });
    assert.deepEqual(containerPort('127.0.0.1:5432:5432/tcp'), { port: 5432 });
    assert.deepEqual(containerPort('${WEB_PORT:-8080}:80'), { port: 80 });
    assert.deepEqual(containerPort({ target: 80, published: '8080' }), { port: 80 });
    assert.equal(containerPort('53:53/udp').port, undefined);
    assert.equal(containerPort('8000-8001:8000-8001').port, 8000);
    assert.equal(containerPort('8080:${PORT}').port, undefined);
  });

  test('process-compose environment: lists and maps, $NAME → ${NAME}, a default reported', () => {
    const notes: string[] = [];
    assert.deepEqual(envPairs(['A=1', 'B=$HOME/x', 'C=$$literal', 'D=${X:-y}'], (k) => notes.push(k)), [['A', '1'], ['B', '${HOME}/x'], ['C', '$$literal'], ['D', 'y']]);
    assert.deepEqual(notes, ['D']);
    assert.deepEqual(envPairs({ A: 1, B: null }), [['A', '1'], ['B', '']]);
    assert.deepEqual(envPairs(['OSRD_PATH=${OSRD_PATH}']), [], 'passing the caller\'s own value on is what devport does anyway');
  });

  test('TOML strings: escapes TOML takes, no raw DEL or lone surrogate', () => {
    assert.equal(str('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
    assert.equal(str('x\x7fy'), '"x\\u007fy"');
    assert.equal(str('\uD800'), '"\uFFFD"');
  });

  test('no fixture carries a devport.toml (init would refuse to write one there)', () => {
    for (const name of ['rails', 'overmind', 'process-compose', 'compose', 'node-next', 'node-vite', 'combined', 'empty']) {
      assert.throws(() => readFileSync(path.join(FIXTURES, name, 'devport.toml')), /ENOENT/);
    }
  });
});
