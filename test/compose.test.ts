// Compose services against a real Docker engine and a real compose CLI, with a
// busybox image built here offline (`docker import` of a rootfs tarball). The
// end-to-end tests skip, saying why, only where no engine can be reached (a
// developer without Docker); in CI they must run.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parseComposeServices, selectServices } from '../src/compose/file.js';
import { socketProblem } from '../src/compose/engine.js';
import { composePreflight } from '../src/compose/preflight.js';
import { composeProjectName } from '../src/compose/project.js';
import { overrideContent } from '../src/compose/override.js';
import { judge } from '../src/compose/verdict.js';
import type { ContainerInfo } from '../src/compose/docker.js';
import { renderFailuresHuman } from '../src/errors/render.js';
import { makePlan } from '../src/plan/plan.js';
import type { Plan } from '../src/plan/types.js';
import { loadSpecText } from '../src/spec/load.js';
import { ensureImage } from './busybox-image.js';
import { lsOf, Rig, waitFor, type LsEntry } from './rig.js';

const tmpDirs: string[] = [];
after(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function projectDir(files: Record<string, string>, parent?: string): string {
  const dir = parent ?? mkdtempSync(path.join(os.tmpdir(), 'devport-compose-'));
  if (!parent) tmpDirs.push(dir);
  mkdirSync(dir, { recursive: true });
  for (const [f, t] of Object.entries(files)) writeFileSync(path.join(dir, f), t);
  return dir;
}

async function planOf(dir: string, env: NodeJS.ProcessEnv = process.env, profiles?: string[]): Promise<Plan> {
  const file = path.join(dir, 'devport.toml');
  const loaded = loadSpecText(file, readFileSync(file, 'utf8'));
  if (!loaded.ok) assert.fail(renderFailuresHuman(loaded.failures, { color: false, cwd: dir }));
  const r = await makePlan(loaded.value, { env, profiles });
  if (!r.ok) assert.fail(renderFailuresHuman(r.failures, { color: false, cwd: dir }));
  return r.value;
}

function specErrors(dir: string): string {
  const file = path.join(dir, 'devport.toml');
  const loaded = loadSpecText(file, readFileSync(file, 'utf8'));
  assert.equal(loaded.ok, false, 'the spec should be invalid');
  return loaded.ok ? '' : renderFailuresHuman(loaded.failures, { color: false, cwd: dir });
}

// ---- unit: the compose file reader, project names, verdicts, the plan ----------------------

describe('compose file and plan', () => {
  const FILE = `# a comment
x-common: &common
  restart: "no"
services:
  db:
    <<: *common
    image: postgres
    profiles: [db]
    ports:
      - "\${DB_PORT:-5432}:5432"   # the stack's port
  "cache":
    image: redis
    profiles:
      - cache
      - all
  web:
    image: nginx
volumes:
  data: {}
`;

  test('the reader finds services, their profiles and whether they publish ${<PREFIX>_PORT}', () => {
    const r = parseComposeServices(FILE);
    assert.ok(r.ok);
    assert.deepEqual([...r.services.keys()], ['db', 'cache', 'web']);
    assert.deepEqual(r.services.get('db')?.profiles, ['db']);
    assert.deepEqual(r.services.get('cache')?.profiles, ['cache', 'all']);
    assert.deepEqual(r.services.get('web')?.profiles, []);
    assert.match(r.services.get('db')?.text ?? '', /DB_PORT/);
    assert.equal(parseComposeServices('version: "3"\n').ok, false);
    assert.equal(parseComposeServices('services:\n\tdb:\n').ok, false);
  });

  test('default services: the one named like the node, else what the profiles select', () => {
    const r = parseComposeServices(FILE);
    assert.deepEqual(selectServices('db', undefined, [], r), ['db']);
    assert.deepEqual(selectServices('infra', undefined, [], r), ['web']);
    assert.deepEqual(selectServices('infra', undefined, ['cache'], r), ['cache', 'web']);
    assert.deepEqual(selectServices('infra', ['db', 'web'], [], r), ['db', 'web']);
  });

  test('one compose project per stack: named from the dir, a hash of its path and the isolation id', () => {
    const a = composeProjectName('/home/u/a/My App', '');
    const b = composeProjectName('/home/u/b/My App', '');
    assert.match(a, /^devport-my-app-[0-9a-z]{6}$/);
    assert.notEqual(a, b);
    assert.equal(composeProjectName('/home/u/a/My App', 'feature-x'), `${a}-feature-x`);
  });

  test('a compose node gets an allocated host port, exported to the stack; `port` is the container port', async () => {
    const dir = projectDir({
      'devport.toml': '[[service]]\nname = "db"\ntype = "compose"\nport = 5432\n\n[[service]]\nname = "api"\ncommand = ["true"]\ndepends_on = ["db"]\n',
      'compose.yaml': 'services:\n  db:\n    image: postgres\n',
    });
    const plan = await planOf(dir);
    const db = plan.nodes.find((n) => n.key === 'db');
    assert.ok(db?.compose);
    assert.equal(db.portSource, 'allocated');
    assert.ok(db.port !== null && db.port >= 20000 && db.port <= 29999);
    assert.equal(plan.stackEnv.DB_PORT, String(db.port));
    assert.equal(plan.stackEnv.DB_URL, `http://127.0.0.1:${db.port}`);
    assert.deepEqual(db.compose, {
      project: composeProjectName(dir, ''),
      files: [path.join(dir, 'compose.yaml')],
      services: ['db'],
      profiles: [],
      containerPort: 5432,
      override: true,
      health: 'container',
    });
    assert.deepEqual(JSON.parse(overrideContent(plan, db) ?? ''), { services: { db: { ports: [`127.0.0.1:${db.port}:5432`] } } });
    // A file that publishes ${DB_PORT} itself needs no override (both would bind the same host port).
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  db:\n    image: postgres\n    ports: ["${DB_PORT:-5432}:5432"]\n');
    const again = (await planOf(dir)).nodes.find((n) => n.key === 'db');
    assert.equal(again?.compose?.override, false);
  });

  test('the default file is looked up like compose does, with its override file; `up --profile` adds profiles', async () => {
    const dir = projectDir({
      'devport.toml': '[[service]]\nname = "infra"\ntype = "compose"\nprofiles = ["a"]\n',
      'docker-compose.yml': 'services:\n  one:\n    image: x\n  two:\n    image: x\n    profiles: [b]\n',
      'docker-compose.override.yml': 'services:\n  one:\n    environment: { A: "1" }\n',
    });
    const plan = await planOf(dir);
    assert.deepEqual(plan.nodes[0]?.compose?.files, [path.join(dir, 'docker-compose.yml'), path.join(dir, 'docker-compose.override.yml')]);
    assert.deepEqual(plan.nodes[0]?.compose?.services, ['one']);
    const withB = await planOf(dir, process.env, ['b']);
    assert.deepEqual(withB.nodes[0]?.compose?.services, ['one', 'two']);
    assert.deepEqual(withB.nodes[0]?.compose?.profiles, ['a', 'b']);
  });

  test('examples/compose plans: a compose node on its container port, a counter that waits for it', async () => {
    const { REPO } = await import('./rig.js');
    const plan = await planOf(path.join(REPO, 'examples', 'compose'));
    const [cache, counter] = plan.nodes;
    assert.deepEqual([cache?.kind, cache?.compose?.services, counter?.kind, counter?.dependsOn.map((d) => d.key)], ['compose', ['cache'], 'exec', ['cache']]);
    assert.equal(plan.stackEnv.CACHE_PORT, String(cache?.port));
  });

  test('the spec names a missing compose file, an unknown compose service, a process health', () => {
    const none = projectDir({ 'devport.toml': '[[service]]\nname = "db"\ntype = "compose"\n' });
    assert.match(specErrors(none), /no compose file for "db": none of compose\.yaml, compose\.yml, docker-compose\.yml, docker-compose\.yaml is in/);
    const missing = projectDir({ 'devport.toml': '[[service]]\nname = "db"\ntype = "compose"\nfile = "infra/compose.yaml"\n' });
    assert.match(specErrors(missing), /devport\.toml:4:8 error\[SPEC_INVALID\]: compose file "infra\/compose\.yaml" of "db" does not exist/);
    const unknown = projectDir({
      'devport.toml': '[[service]]\nname = "db"\ntype = "compose"\nservices = ["postgress"]\n  [service.health]\n  type = "process"\n',
      'compose.yaml': 'services:\n  postgres:\n    image: postgres\n',
    });
    const text = specErrors(unknown);
    assert.match(text, /compose service "postgress" of "db" is not in compose\.yaml/);
    assert.match(text, /hint: did you mean "postgres"\?/);
    assert.match(text, /process health has no meaning for compose service "db"/);
  });

  test('verdicts: healthy on the healthchecks, exited/failed with the code, docker restarting is backoff', () => {
    const c = (over: Partial<ContainerInfo>): ContainerInfo => ({
      id: 'x', name: 'p_db_1', service: 'db', status: 'running', health: null, healthOutput: '', exitCode: 0, oomKilled: false, error: '', startedAt: '', finishedAt: '', restartCount: 0, restartPolicy: 'no', ports: {}, ...over,
    });
    assert.equal(judge(['db'], [c({ health: 'starting' })], 'container').state, 'starting');
    assert.equal(judge(['db'], [c({ health: 'healthy' })], 'container').state, 'healthy');
    assert.equal(judge(['db'], [c({})], 'container').state, 'healthy');
    assert.match(judge(['db'], [c({ health: 'unhealthy', healthOutput: 'pg down' })], 'container').detail, /unhealthy: pg down/);
    assert.equal(judge(['db'], [c({ health: 'unhealthy' })], 'running').state, 'healthy');
    assert.deepEqual(judge(['db'], [c({ status: 'exited', exitCode: 3 })], 'container'), { state: 'failed', detail: 'container p_db_1 exited with code 3', exitCode: 3, container: c({ status: 'exited', exitCode: 3 }) });
    assert.equal(judge(['db'], [c({ status: 'exited', exitCode: 0 })], 'container').state, 'exited');
    assert.equal(judge(['db'], [c({ status: 'restarting', exitCode: 1, restartPolicy: 'always' })], 'container').state, 'backoff');
    assert.equal(judge(['db', 'cache'], [c({})], 'container').state, 'failed');
  });
});

// ---- unit: preflight ---------------------------------------------------------------------

describe('composePreflight', () => {
  const spec = { 'devport.toml': '[[service]]\nname = "db"\ntype = "compose"\nport = 80\n', 'compose.yaml': 'services:\n  db:\n    image: x\n' };

  test('nothing to check (and nothing run) without a compose node', async () => {
    const dir = projectDir({ 'devport.toml': '[[service]]\nname = "a"\ncommand = ["true"]\n' });
    assert.deepEqual(await composePreflight(await planOf(dir)), { ok: true, versions: null });
  });

  test('COMPOSE_NOT_FOUND when neither `docker compose` nor `docker-compose` is on PATH', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'devport-nopath-'));
    tmpDirs.push(empty);
    const dir = projectDir(spec);
    const r = await composePreflight(await planOf(dir, { ...process.env, PATH: empty }));
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.failures.length, 1);
    assert.equal(r.failures[0]?.code, 'COMPOSE_NOT_FOUND');
    assert.match(r.failures[0]?.message ?? '', /compose service "db" needs docker compose: neither `docker compose` \(the v2 plugin\) nor `docker-compose` \(v1\) is on PATH/);
    assert.match(r.failures[0]?.hint ?? '', /install the docker compose plugin/);
  });

  test('`up` checks before anything starts: COMPOSE_NOT_FOUND, DOCKER_UNAVAILABLE, no sidecar, no state dir', async () => {
    const { Rig } = await import('./rig.js');
    const rig = new Rig('devport-compose-pre-');
    try {
      rig.write('p/devport.toml', `[[service]]\nname = "db"\ntype = "compose"\nport = 5432\n\n[[service]]\nname = "api"\ncommand = ["sleep", "60"]\nno_port = true\n`);
      rig.write('p/compose.yaml', 'services:\n  db:\n    image: postgres\n');
      // PATH with node and tmux but no docker of any kind.
      const bin = rig.path('bin');
      mkdirSync(bin);
      for (const tool of ['node', 'sh', 'tmux']) {
        const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
        if (found) symlinkSync(found, path.join(bin, tool));
      }
      const r = await rig.run(['up', '--daemon', '--no-tmux', '--json'], { cwd: rig.path('p'), env: { PATH: bin } });
      assert.equal(r.code, 1);
      assert.equal((JSON.parse(r.stderr) as { code: string }).code, 'COMPOSE_NOT_FOUND', r.stderr);
      assert.equal(r.stdout, '', 'not even a plan event: nothing started');
      assert.deepEqual((await lsOf(rig, rig.path('p'))).map((e) => e.key), []);
      // With a compose CLI but no daemon to answer (stopped, or a socket that is not there).
      if (process.env.PATH?.split(':').some((d) => spawnSync('test', ['-x', path.join(d, 'docker-compose')]).status === 0) || spawnSync('docker', ['compose', 'version']).status === 0) {
        const noDaemon = await rig.run(['up', '--daemon', '--no-tmux', '--json'], { cwd: rig.path('p'), env: { DOCKER_HOST: `unix://${rig.path('no-docker.sock')}` } });
        assert.equal(noDaemon.code, 1);
        const err = JSON.parse(noDaemon.stderr) as { code: string; message: string };
        assert.equal(err.code, 'DOCKER_UNAVAILABLE', noDaemon.stderr);
        assert.match(err.message, /no-docker\.sock/);
        assert.equal(noDaemon.stdout, '');
        assert.deepEqual((await lsOf(rig, rig.path('p'))).map((e) => e.key), []);
      }
    } finally {
      assert.deepEqual(await rig.cleanup(), []);
    }
  });

  test('DOCKER_UNAVAILABLE when the daemon does not answer, with the reason', async (t) => {
    const dir = projectDir(spec);
    const sock = path.join(dir, 'no-such-docker.sock');
    const env = { ...process.env, DOCKER_HOST: `unix://${sock}` } as Record<string, string>;
    const r = await composePreflight(await planOf(dir, env));
    assert.equal(r.ok, false);
    if (r.ok) return;
    if (r.failures[0]?.code === 'COMPOSE_NOT_FOUND') return t.skip('no compose CLI here: DOCKER_UNAVAILABLE comes after it');
    assert.equal(r.failures[0]?.code, 'DOCKER_UNAVAILABLE');
    assert.equal(r.failures[0]?.message, `compose service "db" needs the Docker engine: the Docker socket ${sock} does not exist (the engine is not running)`);
    assert.match(r.failures[0]?.hint ?? '', /start the Docker engine/);
  });

  test('a socket that refuses, or a permission problem, says so (and how to join the docker group)', () => {
    assert.match(socketProblem('EACCES', '/var/run/docker.sock').reason, /permission denied on the Docker socket \/var\/run\/docker\.sock/);
    assert.match(socketProblem('EACCES', '/var/run/docker.sock').hint, /usermod -aG docker \$USER/);
    assert.match(socketProblem('ECONNREFUSED', '/x.sock').reason, /nothing listens on the Docker socket \/x\.sock/);
  });
});

// ---- end to end, real engine ---------------------------------------------------------------

/** Why the end-to-end tests cannot run here, or undefined when they can. */
function engineMissing(): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
  if (info.error) return `no docker CLI (${(info.error as NodeJS.ErrnoException).code ?? info.error.message})`;
  if (info.status !== 0) return `the Docker engine does not answer: ${(info.stderr ?? '').trim().split('\n').pop() ?? ''}`;
  const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 20_000 });
  if (v2.status === 0) return undefined;
  const v1 = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8', timeout: 60_000 });
  return v1.status === 0 ? undefined : 'neither `docker compose` nor `docker-compose` is installed';
}

const missing = engineMissing();
if (missing && process.env.CI) throw new Error(`CI must run the compose tests against a real engine, but ${missing} (.ci/run installs and starts it)`);

function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 60_000 }).trim();
}
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
const running = (project: string) => lines(docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`]));
const allContainers = (project: string) => lines(docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]));
const volumes = (project: string) => lines(docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]));

/** Removes whatever a test left of its compose project (after checking what it had to). */
function purge(project: string): void {
  const ids = allContainers(project);
  if (ids.length > 0) docker(['rm', '-f', '-v', ...ids]);
  for (const v of volumes(project)) spawnSync('docker', ['volume', 'rm', v], { stdio: 'ignore' });
  for (const n of lines(docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]))) spawnSync('docker', ['network', 'rm', n], { stdio: 'ignore' });
}

/** A web server in the image: says hello on stdout, serves /www on :80, exits at once on SIGTERM. */
const httpd = (extra = '') => `["sh", "-c", "trap 'exit 0' TERM; echo web says hi; ${extra}httpd -f -p 80 -h /www & wait"]`;
const HEALTHCHECK = `    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:80/"]
      interval: 1s
      timeout: 2s
      retries: 20
`;

async function withRig(name: string, fn: (rig: Rig, project: string, image: string) => Promise<void>, parent?: string): Promise<void> {
  const image = ensureImage();
  const rig = new Rig(`devport-compose-${name}-`);
  const dir = parent ? path.join(rig.dir, parent) : rig.dir;
  mkdirSync(dir, { recursive: true });
  const project = composeProjectName(dir, '');
  try {
    await fn(rig, project, image);
  } finally {
    await rig.run(['down'], { cwd: dir, timeoutMs: 60_000 }).catch(() => undefined);
    const left = running(project);
    purge(project);
    const procs = await rig.cleanup();
    assert.deepEqual(left, [], `containers of ${project} left running`);
    assert.deepEqual(procs, [], 'processes left behind');
  }
}

const entry = (ls: LsEntry[], key: string) => {
  const e = ls.find((x) => x.key === key);
  assert.ok(e, `no ls entry for ${key}`);
  return e;
};

describe('compose services, real engine', { skip: missing ? `compose tests need Docker: ${missing}` : false, concurrency: false }, () => {
  test('healthy on its healthcheck; a dependent reaches it on <PREFIX>_PORT; ls, logs, restart; down keeps the volume, down --volumes removes it', { timeout: 300_000 }, async () => {
    await withRig('main', async (rig, project, image) => {
      rig.write(
        'compose.yaml',
        `services:\n  web:\n    image: ${image}\n    command: ${httpd('if [ -f /data/first ]; then echo volume kept; else date > /data/first; fi; ')}\n${HEALTHCHECK}    volumes:\n      - data:/data\nvolumes:\n  data:\n`,
      );
      rig.write(
        'devport.toml',
        `[[service]]
name = "prepare"
type = "task"
command = ["sh", "-c", "sleep 0.3; echo prepared"]

[[service]]
name = "web"
type = "compose"
port = 80
depends_on = ["prepare"]

[[service]]
name = "client"
command = ["sh", "-c", "wget -q -O fetched.txt http://127.0.0.1:$WEB_PORT/ && exec sleep 600"]
no_port = true
depends_on = ["web"]
  [service.health]
  type = "cmd"
  command = ["test", "-s", "fetched.txt"]
`,
      );
      const up = await rig.run(['up', '--daemon', '--json'], { timeoutMs: 180_000 });
      assert.equal(up.code, 0, up.stderr + up.stdout);
      assert.equal(readFileSync(rig.path('fetched.txt'), 'utf8'), 'hello from the container\n');
      // depends_on both ways: the compose node waits for a task, an exec service for the compose node.
      const events = up.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; service?: string; state?: string });
      const at = (service: string, state: string) => events.findIndex((e) => e.event === 'service' && e.service === service && e.state === state);
      assert.ok(at('prepare', 'completed') >= 0 && at('prepare', 'completed') < at('web', 'starting'), up.stdout);
      assert.ok(at('web', 'healthy') < at('client', 'starting'), up.stdout);
      // Docker was checked before anything started, and --json says what it found.
      const pre = events.findIndex((e) => e.event === 'preflight');
      assert.ok(pre >= 0 && pre < events.findIndex((e) => e.event === 'plan'), up.stdout);

      const ls = await lsOf(rig, rig.dir);
      const web = entry(ls, 'web');
      assert.equal(web.state?.state, 'healthy');
      assert.equal((web.state as { type?: string } | null)?.['type'], 'compose');
      const port = web.state?.port;
      assert.ok(typeof port === 'number' && port >= 20000);
      assert.equal(entry(ls, 'client').state?.state, 'healthy');
      assert.match(docker(['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Ports}}']), new RegExp(`127\\.0\\.0\\.1:${port}->80/tcp`));

      const logs = await rig.run(['logs', 'web']);
      assert.match(logs.stdout, /web says hi/);

      const restart = await rig.run(['restart', 'web'], { timeoutMs: 120_000 });
      assert.equal(restart.code, 0, restart.stderr);
      const after = entry(await lsOf(rig, rig.dir), 'web');
      assert.equal(after.state?.state, 'healthy');
      assert.equal(after.state?.restarts, 1);
      await waitFor('the restarted container in the log', async () => /volume kept/.test((await rig.run(['logs', 'web'])).stdout), 20_000, 200);

      const down = await rig.run(['down'], { timeoutMs: 120_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(running(project), [], 'down stops every container of the project');
      assert.equal(volumes(project).length, 1, 'down keeps the volume');

      // A second up finds the file written into the volume.
      const again = await rig.run(['up', '--daemon'], { timeoutMs: 180_000 });
      assert.equal(again.code, 0, again.stderr + again.stdout);
      await waitFor('"volume kept" from the new run', async () => /volume kept/.test((await rig.run(['logs', 'web'])).stdout), 20_000, 200);

      // `up --fresh` on a running stack is refused; on a stopped one it starts clean: the volume (and the containers) go first.
      const refused = await rig.run(['up', '--daemon', '--fresh'], { timeoutMs: 60_000 });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^error\[FLAG_CONFLICT\]: --fresh starts a stack from nothing, and this one is running/);
      assert.equal((await rig.run(['down'], { timeoutMs: 120_000 })).code, 0);
      assert.equal(volumes(project).length, 1);
      const third = await rig.run(['up', '--daemon', '--fresh'], { timeoutMs: 180_000 });
      assert.equal(third.code, 0, third.stderr + third.stdout);
      assert.match(third.stdout, new RegExp(`--fresh: removed 1 container\\(s\\) and 1 volume\\(s\\) of compose project ${project}`));
      const firstRun = (await rig.run(['logs', 'web'])).stdout;
      assert.match(firstRun, /web says hi/);
      assert.doesNotMatch(firstRun, /volume kept/, 'a fresh volume');

      const gone = await rig.run(['down', '--volumes'], { timeoutMs: 120_000 });
      assert.equal(gone.code, 0, gone.stderr);
      assert.match(gone.stdout, /removed 1 container\(s\), 1 volume\(s\), 1 network\(s\)/);
      assert.deepEqual(allContainers(project), []);
      assert.deepEqual(volumes(project), [], 'down --volumes removes the volume');
    });
  });

  test('a container that exits turns the node failed with its code and its last line', { timeout: 180_000 }, async () => {
    await withRig('exit', async (rig, project, image) => {
      rig.write('compose.yaml', `services:\n  job:\n    image: ${image}\n    command: ["sh", "-c", "echo about to fail; echo last words; exit 3"]\n`);
      rig.write('devport.toml', '[[service]]\nname = "job"\ntype = "compose"\n');
      const up = await rig.run(['up', '--daemon'], { timeoutMs: 180_000 });
      assert.equal(up.code, 1);
      assert.match(up.stderr, /error\[SERVICE_UNHEALTHY\]: "job" failed: container \S+ exited with code 3: last words/);
      assert.match(up.stderr, /about to fail/);
      // `up` gave up and stopped what it started: the record is still there.
      const job = entry(await lsOf(rig, rig.dir), 'job');
      assert.equal(job.state?.state, 'stopped');
      assert.deepEqual(running(project), []);
    });
  });

  test('running, the sidecar listens to the engine: a healthcheck every 200 ms costs no request; a kill is seen at once', { timeout: 180_000 }, async () => {
    await withRig('idle', async (rig, project, image) => {
      // Everything that reaches the engine goes through this socket, which logs each request line.
      const requests: string[] = [];
      const sock = rig.path('docker.sock');
      const relay = net.createServer((client) => {
        const engine = net.connect('/var/run/docker.sock');
        client.once('data', (d) => requests.push(d.toString('latin1').split('\r\n')[0] ?? ''));
        client.pipe(engine).pipe(client);
        const end = () => (client.destroy(), engine.destroy());
        client.on('error', end).on('close', end);
        engine.on('error', end).on('close', end);
      });
      await new Promise<void>((r) => relay.listen(sock, r));
      try {
        const env = { DOCKER_HOST: `unix://${sock}` };
        rig.write('compose.yaml', `services:\n  web:\n    image: ${image}\n    command: ${httpd()}\n${HEALTHCHECK.replace('interval: 1s', 'interval: 200ms')}`);
        rig.write('devport.toml', '[[service]]\nname = "web"\ntype = "compose"\nport = 80\n');
        const up = await rig.run(['up', '--daemon'], { timeoutMs: 180_000, env });
        assert.equal(up.code, 0, up.stderr + up.stdout);
        assert.ok(requests.some((r) => r.startsWith('GET /events?')), `the events are streamed: ${JSON.stringify(requests)}`);
        const [id] = running(project);
        assert.ok(id);
        const before = requests.length;
        // The engine's own record of its healthchecks: wait until 10 more have run.
        const checks = () => (JSON.parse(docker(['inspect', '--format', '{{json .State.Health.Log}}', id])) as { Start: string }[]).map((l) => Date.parse(l.Start));
        const since = Math.max(...checks());
        await waitFor('10 more healthchecks', () => checks().some((t) => t >= since + 9 * 200), 30_000, 100);
        const during = requests.slice(before);
        assert.ok(during.length <= 2, `requests while 10 healthchecks ran: ${JSON.stringify(during)}`);
        // A kill is an event: seen well before the 30 s net would look.
        docker(['kill', id]);
        const web = await waitFor('the killed container seen', async () => {
          const e = entry(await lsOf(rig, rig.dir), 'web');
          return e.state?.state !== 'healthy' ? e : undefined;
        }, 10_000, 100);
        assert.match(String(web.state?.reason), /exited with code 137/);
        assert.equal((await rig.run(['down'], { timeoutMs: 120_000, env })).code, 0);
      } finally {
        relay.close();
      }
    });
  });

  test('profiles select services; a SIGKILLed compose sidecar leaves its containers, and down still stops them', { timeout: 240_000 }, async () => {
    await withRig('profiles', async (rig, project, image) => {
      rig.write('compose.yaml', `services:\n  web:\n    image: ${image}\n    command: ${httpd()}\n  cache:\n    image: ${image}\n    profiles: [cache]\n    command: ${httpd()}\n`);
      rig.write('devport.toml', '[[service]]\nname = "infra"\ntype = "compose"\n');
      const services = () => lines(docker(['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Label "com.docker.compose.service"}}'])).sort();
      const up = await rig.run(['up', '--daemon'], { timeoutMs: 180_000 });
      assert.equal(up.code, 0, up.stderr + up.stdout);
      assert.deepEqual(services(), ['web']);
      assert.equal((await rig.run(['down'], { timeoutMs: 120_000 })).code, 0);

      rig.write('devport.toml', '[[service]]\nname = "infra"\ntype = "compose"\nprofiles = ["cache"]\n');
      const withCache = await rig.run(['up', '--daemon'], { timeoutMs: 180_000 });
      assert.equal(withCache.code, 0, withCache.stderr + withCache.stdout);
      assert.deepEqual(services(), ['cache', 'web']);
      await waitFor('both services in the log, prefixed', async () => {
        const out = (await rig.run(['logs', 'infra'])).stdout;
        return /cache \| web says hi/.test(out) && /web \| web says hi/.test(out);
      }, 20_000, 200);

      const pid = entry(await lsOf(rig, rig.dir), 'infra').supervisor?.pid;
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      await waitFor('the sidecar to die', async () => !entry(await lsOf(rig, rig.dir), 'infra').alive, 10_000, 50);
      assert.equal(services().length, 2, 'the containers outlive a SIGKILLed sidecar');
      const down = await rig.run(['down'], { timeoutMs: 120_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stdout, new RegExp(`${project} stopped 2 containers left running`));
      assert.deepEqual(running(project), []);
    });
  });

  test('two projects whose directories share a name get their own compose projects', { timeout: 240_000 }, async () => {
    await withRig('twin-a', async (rigA, projectA, image) => {
      await withRig('twin-b', async (rigB, projectB) => {
        assert.notEqual(projectA, projectB);
        const files = (rig: Rig) => {
          rig.write('app/compose.yaml', `services:\n  web:\n    image: ${image}\n    command: ${httpd()}\n${HEALTHCHECK}`);
          rig.write('app/devport.toml', '[[service]]\nname = "web"\ntype = "compose"\nport = 80\n');
        };
        files(rigA);
        files(rigB);
        const [a, b] = await Promise.all([rigA.run(['up', '--daemon'], { cwd: rigA.path('app'), timeoutMs: 180_000 }), rigB.run(['up', '--daemon'], { cwd: rigB.path('app'), timeoutMs: 180_000 })]);
        assert.equal(a.code, 0, a.stderr + a.stdout);
        assert.equal(b.code, 0, b.stderr + b.stdout);
        assert.equal(running(projectA).length, 1);
        assert.equal(running(projectB).length, 1);
        const portA = entry(await lsOf(rigA, rigA.path('app')), 'web').state?.port;
        const portB = entry(await lsOf(rigB, rigB.path('app')), 'web').state?.port;
        assert.notEqual(portA, portB);
        for (const [rig, port] of [[rigA, portA], [rigB, portB]] as const) {
          const r = await fetch(`http://127.0.0.1:${port}/`);
          assert.equal(await r.text(), 'hello from the container\n');
          assert.equal((await rig.run(['down'], { cwd: rig.path('app'), timeoutMs: 120_000 })).code, 0);
        }
        assert.deepEqual([...running(projectA), ...running(projectB)], []);
      }, 'app');
    }, 'app');
  });
});

