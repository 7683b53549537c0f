// Keys and prefixes, env rules, templates in context, allocation stability and collisions.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { renderFailuresHuman } from '../src/errors/render.js';
import type { Result } from '../src/errors/failure.js';
import { childEnv, revivePlan } from '../src/plan/child-env.js';
import { makePlan, type PlanOptions } from '../src/plan/plan.js';
import { allocatePorts, preferredPort } from '../src/plan/ports.js';
import type { Plan, PlanNode, StoredPlan } from '../src/plan/types.js';
import { loadSpecText } from '../src/spec/load.js';
import { listenOn } from './rig.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-plan-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'devport.toml'), text);
  for (const [f, t] of Object.entries(files)) writeFileSync(path.join(dir, f), t);
  return dir;
}

async function plan(dir: string, opts: Partial<PlanOptions> = {}): Promise<Result<Plan>> {
  const file = path.join(dir, 'devport.toml');
  const { readFileSync } = await import('node:fs');
  const loaded = loadSpecText(file, readFileSync(file, 'utf8'));
  if (!loaded.ok) return loaded;
  return makePlan(loaded.value, { env: { HOME: '/home/u', PATH: '/usr/bin' }, ...opts });
}

async function okPlan(dir: string, opts: Partial<PlanOptions> = {}): Promise<Plan> {
  const r = await plan(dir, opts);
  if (!r.ok) assert.fail(renderFailuresHuman(r.failures, { color: false, cwd: dir }));
  return r.value;
}

function node(p: Plan, key: string): PlanNode {
  const n = p.nodes.find((x) => x.key === key);
  assert.ok(n, `no node ${key} in ${p.nodes.map((x) => x.key).join(', ')}`);
  return n;
}

async function errorLines(dir: string, opts: Partial<PlanOptions> = {}): Promise<string[]> {
  const r = await plan(dir, opts);
  assert.ok(!r.ok, 'expected the plan to fail');
  return renderFailuresHuman(r.failures, { color: false, cwd: dir })
    .split('\n')
    .filter((l) => l.includes('error[') || l.startsWith('hint: '));
}

const NESTED = `
[[service]]
type = "proxy"
name = "app"
  [[service.routes]]
  name = "vite"
  path = "/"
  command = ["vite", "--port", "\${PORT}"]
  [[service.routes]]
  name = "api-v2"
  path = "/api/"
  command = ["node", "api.js"]

[[service]]
type = "proxy"
  [[service.routes]]
  name = "docs"
  path = "/docs/"
  command = ["serve"]

[[service]]
type = "proxy"
  [[service.routes]]
  name = "admin"
  path = "/"
  command = ["admin"]
`;

describe('keys and env prefixes', () => {
  test('routes of a named proxy are prefixed by it; unnamed proxies are _proxyN', async () => {
    const p = await okPlan(project(NESTED));
    assert.deepEqual(
      p.nodes.map((n) => [n.key, n.prefix, n.parent]),
      [
        ['app', 'APP', null],
        ['app_vite', 'APP_VITE', 'app'],
        ['app_api_v2', 'APP_API_V2', 'app'],
        ['_proxy0', '_PROXY0', null],
        ['docs', 'DOCS', '_proxy0'],
        ['_proxy1', '_PROXY1', null],
        ['admin', 'ADMIN', '_proxy1'],
      ],
    );
    const vite = node(p, 'app_vite');
    assert.equal(vite.env.APP_VITE_PORT, String(vite.port));
    assert.equal(vite.env.APP_API_V2_URL, node(p, 'app_api_v2').url);
    assert.equal(vite.env._PROXY0_PORT, String(node(p, '_proxy0').port));
    assert.deepEqual(vite.command, ['vite', '--port', String(vite.port)]);
  });
});

describe('env', () => {
  test('precedence, deny-list, reserved names from the shell, env_file and templates', async () => {
    const dir = project(
      `
env_file = ".env"
[env]
DATABASE_URL = "postgres://127.0.0.1:\${DB_PORT}/app"
GREETING = "hello \${WHO}"
[[service]]
name = "db"
command = ["db", "-p", "\${PORT}"]
[[service]]
name = "api"
command = ["node", "api.js"]
env = { LOG_LEVEL = "debug", SELF = "http://\${HOST}:\${PORT}" }
`,
      { '.env': 'WHO=world\nLOG_LEVEL=info\nPORT=1\n' },
    );
    const shell = { HOME: '/home/u', TMUX: '/tmp/tmux-0/default,1,0', PWD: '/elsewhere', SHLVL: '3', _: '/usr/bin/node', PORT: '9999', HOST: 'laptop', DB_PORT: '1', DEVPORT_KEY: 'nope', API_URL: 'nope' };
    const p = await okPlan(dir, { env: shell });
    const api = node(p, 'api');
    const db = node(p, 'db');
    for (const denied of ['TMUX', 'PWD', 'SHLVL', '_']) assert.equal(api.env[denied], undefined, denied);
    assert.equal(api.env.HOME, '/home/u');
    assert.equal(api.env.PORT, String(api.port), 'PORT is never taken from the shell or .env');
    assert.equal(api.env.HOST, '127.0.0.1');
    assert.equal(api.env.DEVPORT_KEY, 'api');
    assert.equal(api.env.DEVPORT_PROJECT_DIR, dir);
    assert.equal(api.env.DEVPORT_ID, '');
    assert.equal(api.env.API_URL, `http://127.0.0.1:${api.port}`);
    assert.equal(api.env.DATABASE_URL, `postgres://127.0.0.1:${db.port}/app`);
    assert.equal(api.env.GREETING, 'hello world');
    assert.equal(api.env.LOG_LEVEL, 'debug', 'service env beats env_file');
    assert.equal(db.env.LOG_LEVEL, 'info');
    assert.equal(api.env.SELF, `http://127.0.0.1:${api.port}`);
    assert.deepEqual(db.command, ['db', '-p', String(db.port)]);
    // --dry-run shows names, never values.
    assert.ok(api.envNames.includes('DATABASE_URL') && api.envNames.includes('WHO') && !api.envNames.includes('HOME'));
  });

  test('an unknown template name is an error naming the service and field', async () => {
    const dir = project('[[service]]\nname = "api"\ncommand = ["node", "--port=${PROT}"]\n');
    assert.deepEqual(await errorLines(dir), [
      'devport.toml:3:28 error[SPEC_INVALID]: unknown variable ${PROT} in "command[1]" in [[service]] "api"',
      'hint: did you mean "${PORT}"? (write $$ for a literal $)',
    ]);
  });

  test('reserved names are not taken from the shell, so ${API_PORT} of a missing service stays unknown', async () => {
    const dir = project('[[service]]\nname = "web"\ncommand = ["x", "${WORKER_PORT}"]\n[[service]]\nname = "worker"\ncommand = ["w"]\nno_port = true\n');
    const lines = await errorLines(dir, { env: { WORKER_PORT: '5' } });
    assert.equal(lines[0], 'devport.toml:3:18 error[SPEC_INVALID]: unknown variable ${WORKER_PORT} in "command[1]" in [[service]] "web"');
  });

  test('an [env] entry may use entries above it, not below', async () => {
    const dir = project('[env]\nA = "${B}"\nB = "b"\n[[service]]\nname = "s"\ncommand = ["x"]\n');
    assert.deepEqual(await errorLines(dir), [
      'devport.toml:2:6 error[SPEC_INVALID]: unknown variable ${B} in "A" in [env] (for "s")',
      'hint: "B" is set further down in [env]: move it above this entry',
    ]);
    const ok = project('[env]\nB = "b"\nA = "${B}$$"\n[[service]]\nname = "s"\ncommand = ["x"]\n');
    assert.equal(node(await okPlan(ok), 's').env.A, 'b$');
  });

  test('a name is looked up as set, never on Object.prototype: ${constructor} is unknown', async () => {
    const dir = project('[[service]]\nname = "s"\ncommand = ["x", "${constructor}"]\n');
    assert.deepEqual((await errorLines(dir))[0], 'devport.toml:3:18 error[SPEC_INVALID]: unknown variable ${constructor} in "command[1]" in [[service]] "s"');
  });

  test('env_out lists every port and URL', async () => {
    const dir = project('env_out = "devport.env"\n[[service]]\nname = "api"\ncommand = ["x"]\n');
    const p = await okPlan(dir);
    assert.deepEqual({ file: p.envOut?.file, lines: p.envOut?.lines }, { file: path.join(dir, 'devport.env'), lines: [`API_PORT=${node(p, 'api').port}`, `API_URL=http://127.0.0.1:${node(p, 'api').port}`] });
    // Where env_out is written: a path that cannot be written is reported there.
    assert.deepEqual([p.envOut?.location?.line, p.envOut?.location?.col], [1, 11]);
  });

  test('a missing env_file is a positioned error', async () => {
    const dir = project('env_file = [".env", ".env.local"]\n[[service]]\nname = "s"\ncommand = ["x"]\n', { '.env': 'A=1\n' });
    assert.deepEqual(await errorLines(dir), [
      `devport.toml:1:21 error[SPEC_INVALID]: env_file ".env.local" does not exist (${path.join(dir, '.env.local')})`,
      'hint: create it, or remove it from env_file (paths are relative to the spec)',
    ]);
  });
});

describe('unsafe input at plan time', () => {
  test('an env_file that is a FIFO is refused at its entry, without hanging', async () => {
    const dir = project('env_file = ["fifo.env"]\n[[service]]\nname = "s"\ncommand = ["x"]\n');
    execFileSync('mkfifo', [path.join(dir, 'fifo.env')]);
    assert.deepEqual(await errorLines(dir), [
      `devport.toml:1:13 error[SPEC_INVALID]: env_file "fifo.env" is a FIFO, not a regular file (${path.join(dir, 'fifo.env')})`,
      'hint: env_file must name a regular dotenv file (NAME=value lines), not a FIFO, device or directory',
    ]);
  });

  test('env_file = "/dev/zero" is refused (it used to grow to gigabytes), and so is one over 1 MiB', async () => {
    const dir = project('env_file = "/dev/zero"\n[[service]]\nname = "s"\ncommand = ["x"]\n');
    assert.deepEqual(await errorLines(dir), [
      'devport.toml:1:12 error[SPEC_INVALID]: env_file "/dev/zero" is a device, not a regular file (/dev/zero)',
      'hint: env_file must name a regular dotenv file (NAME=value lines), not a FIFO, device or directory',
    ]);
    const big = project('env_file = ".env"\n[[service]]\nname = "s"\ncommand = ["x"]\n', { '.env': `A=${'x'.repeat(1024 * 1024)}\n` });
    assert.deepEqual(await errorLines(big), [
      `devport.toml:1:12 error[SPEC_INVALID]: env_file ".env" is 1048579 bytes (at most 1048576 are read) (${path.join(big, '.env')})`,
      'hint: an env_file is read up to 1 MiB: keep only NAME=value lines in it',
    ]);
  });

  test('[env] entries doubling each other 40 deep: one positioned error naming the entry, quickly', async () => {
    const lines = ['A40 = "x"'];
    for (let i = 39; i >= 0; i--) lines.push(`A${i} = "\${A${i + 1}}\${A${i + 1}}"`);
    const services = Array.from({ length: 20 }, (_, i) => `[[service]]\nname = "s${i}"\ncommand = ["x", "\${A0}"]\nno_port = true\n`).join('');
    const dir = project(`[env]\n${lines.join('\n')}\n${services}`);
    const t0 = Date.now();
    // A23 is 2^17 = 131072 characters, the most a value may fill to; A22 would be twice that.
    assert.deepEqual(await errorLines(dir), [
      'devport.toml:20:14 error[SPEC_INVALID]: "A22" in [env] (for "s0") would be longer than 131072 characters once filled (at ${A23})',
      'hint: a filled value may be at most 131072 characters (Linux\'s limit for one argument or env string); templates that use each other grow fast: A = "${B}${B}" doubles B',
    ]);
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  });

  test('a command argument filled past the cap names the field', async () => {
    const dir = project(`[env]\nA = "${'a'.repeat(70_000)}"\n[[service]]\nname = "s"\ncommand = ["x", "\${A}\${A}"]\n`);
    assert.deepEqual((await errorLines(dir))[0], 'devport.toml:5:22 error[SPEC_INVALID]: "command[1]" in [[service]] "s" would be longer than 131072 characters once filled (at ${A})');
  });
});

describe('ports', () => {
  test('allocation is stable: the same project and key get the same port', async () => {
    const text = '[[service]]\nname = "api"\ncommand = ["x"]\n[[service]]\nname = "web"\ncommand = ["y"]\n';
    const dir = project(text);
    const a = await okPlan(dir);
    const b = await okPlan(dir);
    assert.deepEqual(a.nodes.map((n) => n.port), b.nodes.map((n) => n.port));
    assert.equal(node(a, 'api').port, preferredPort(dir, 'api', [20000, 29999]));
  });

  test('a bound preferred port is skipped, for the next free one', async (t) => {
    const dir = project('port_range = [40000, 49999]\n[[service]]\nname = "api"\ncommand = ["x"]\n');
    const preferred = preferredPort(dir, 'api', [40000, 49999]);
    const srv = await listenOn(preferred);
    t.after(() => srv.close());
    const p = await okPlan(dir);
    assert.notEqual(node(p, 'api').port, preferred);
    assert.equal(node(p, 'api').port, preferred + 1 > 49999 ? 40000 : preferred + 1);
  });

  test('a port held by an outgoing connection (not listening) is skipped too', async (t) => {
    const dir = project('port_range = [40000, 49999]\n[[service]]\nname = "api"\ncommand = ["x"]\n');
    const preferred = preferredPort(dir, 'api', [40000, 49999]);
    // A server that keeps the connection open (the rig's listenOn hangs up at once).
    const held: import('node:net').Socket[] = [];
    const server = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    const target = typeof addr === 'object' && addr ? addr.port : 0;
    // A client whose local port is the preferred one: listen() there would fail with EADDRINUSE.
    const client = await new Promise<import('node:net').Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: target, localAddress: '127.0.0.1', localPort: preferred }, () => resolve(s));
      s.once('error', reject);
    });
    t.after(() => {
      client.destroy();
      for (const h of held) h.destroy();
      server.close();
    });
    assert.notEqual(node(await okPlan(dir), 'api').port, preferred);
  });

  test('ports claimed by a live state dir of another key are skipped; a key keeps its own', async () => {
    const checker = { inUse: async () => false };
    const base = { projectDir: '/p', range: [30000, 30009] as const, checker };
    const pref = preferredPort('/p', 'a', [30000, 30009]);
    const r = await allocatePorts({ ...base, requests: [{ key: 'a', name: 'a', fixed: undefined }], claimed: new Map([['b', pref]]) });
    assert.ok(r.ok);
    assert.notEqual(r.ports.get('a'), pref);
    const own = await allocatePorts({ ...base, requests: [{ key: 'a', name: 'a', fixed: undefined }], claimed: new Map([['a', 30005]]) });
    assert.ok(own.ok);
    assert.equal(own.ports.get('a'), 30005);
  });

  test('allocation never hands out a fixed port of another service', async () => {
    const checker = { inUse: async () => false };
    const pref = preferredPort('/p', 'a', [30000, 30009]);
    const r = await allocatePorts({
      projectDir: '/p',
      range: [30000, 30009],
      checker,
      claimed: new Map(),
      requests: [
        { key: 'a', name: 'a', fixed: undefined },
        { key: 'b', name: 'b', fixed: [pref] },
      ],
    });
    assert.ok(r.ok);
    assert.equal(r.ports.get('b'), pref);
    assert.notEqual(r.ports.get('a'), pref);
  });

  test('a fixed port held by another process fails with PORT_IN_USE naming port, service and holder', async (t) => {
    const srv = await listenOn(0);
    t.after(() => srv.close());
    const addr = srv.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const dir = project(`[[service]]\nname = "db"\ncommand = ["x"]\nport = ${port}\n`);
    const lines = await errorLines(dir);
    assert.match(lines[0] ?? '', new RegExp(`^error\\[PORT_IN_USE\\]: port ${port} of "db" is already in use by .*node.* \\(pid ${process.pid}\\)$`));
    assert.equal(lines[1], `hint: stop that process (kill ${process.pid}), or remove \`port\` from "db" so devport allocates one`);
  });
});

describe('waves', () => {
  test('start order follows depends_on', async () => {
    const dir = project(`
[[service]]
name = "api"
command = ["a"]
depends_on = { db = "healthy", migrate = "completed" }
[[service]]
name = "migrate"
type = "task"
command = ["m"]
depends_on = ["db"]
[[service]]
name = "db"
command = ["d"]
[[service]]
name = "worker"
command = ["w"]
no_port = true
`);
    const p = await okPlan(dir);
    assert.deepEqual(p.waves, [['db', 'worker'], ['migrate'], ['api']]);
    assert.deepEqual(node(p, 'migrate').dependsOn, [{ key: 'db', condition: 'healthy' }]);
    assert.equal(node(p, 'migrate').port, null, 'tasks get no port unless they ask');
    assert.equal(node(p, 'worker').health.type, 'process');
    assert.equal(node(p, 'api').health.type, 'tcp');
  });

  test('--only takes the named services and what they depend on', async () => {
    const dir = project('[[service]]\nname = "api"\ncommand = ["a"]\ndepends_on = ["db"]\n[[service]]\nname = "db"\ncommand = ["b"]\n[[service]]\nname = "worker"\ncommand = ["c"]\n');
    assert.deepEqual((await okPlan(dir, { only: ['api'] })).nodes.map((n) => n.key), ['api', 'db']);
    assert.deepEqual(await errorLines(dir, { only: ['x', 'wrker'] }), [
      'error[SERVICE_UNKNOWN]: --only names unknown service "x"',
      'hint: the services are: api, db, worker',
      'error[SERVICE_UNKNOWN]: --only names unknown service "wrker"',
      'hint: did you mean "worker"?',
    ]);
  });
});

describe('worktree isolation', () => {
  test('a linked worktree moves fixed ports, names its tmux session and database; the main checkout and DEVPORT_ISOLATION=off do not', async () => {
    const spec = '[env]\nDATABASE_URL = "postgres://127.0.0.1:5432/app"\n[[service]]\nname = "db"\ncommand = ["db"]\nport = 5432\n';
    const main = project(spec);
    const mainPlan = await okPlan(main, { checker: { inUse: async () => false } });
    assert.equal(node(mainPlan, 'db').port, 5432);
    assert.equal(mainPlan.isolationId, '');
    assert.equal(node(mainPlan, 'db').env.DATABASE_URL, 'postgres://127.0.0.1:5432/app');

    // A linked worktree: .git is a file pointing into <common>/.git/worktrees/<name>.
    const wt = project(spec, { '.git': 'gitdir: /src/app/.git/worktrees/Feature-A\n' });
    const p = await okPlan(wt, { checker: { inUse: async () => false } });
    assert.equal(p.isolationId, 'feature-a');
    const port = node(p, 'db').port ?? 0;
    assert.ok(port >= 5432 + 1000 && port < 5432 + 2000, `moved by offset + hash % range: ${port}`);
    assert.match(p.tmuxSession, new RegExp(`^devport-${path.basename(wt).replace(/[^A-Za-z0-9_-]+/g, '_')}-[0-9a-z]{4}-feature-a$`));
    assert.equal(node(p, 'db').env.DEVPORT_ID, 'feature-a');
    assert.equal(node(p, 'db').env.DATABASE_URL, 'postgres://127.0.0.1:5432/app_feature_a');
    // Stable: the same worktree gets the same port every time.
    assert.equal(node(await okPlan(wt, { checker: { inUse: async () => false } }), 'db').port, port);
    // A taken candidate: the next of `scan`.
    const taken = await okPlan(wt, { checker: { inUse: async (x) => x === port } });
    assert.equal(node(taken, 'db').port, port + 1);

    const off = await okPlan(wt, { env: { DEVPORT_ISOLATION: 'off' }, checker: { inUse: async () => false } });
    assert.equal(off.isolationId, '');
    assert.equal(node(off, 'db').port, 5432);
  });
});

describe('scale', () => {
  /** n nodes: exec services, and every 100th a proxy on 0.0.0.0 with one exec route; svc42 overrides [env] in its env. */
  function scaleSpec(n: number): string {
    const out = [
      'env_file = ".env"',
      'port_range = [20000, 39999]',
      '[isolation]',
      'mode = "always"',
      '[env]',
      'SHARED = "from-env"',
      'DATABASE_URL = "postgres://127.0.0.1:${SVC0_PORT}/app"',
      'SELF = "http://${HOST}:${PORT}"',
      'LEVEL = "${LOG_LEVEL}"',
    ];
    for (let count = 0, i = 0; count < n; i++) {
      if (count % 100 === 98) {
        out.push('[[service]]', 'type = "proxy"', `name = "gw${i}"`, 'host = "0.0.0.0"', '  [[service.routes]]', '  name = "r"', '  path = "/"', '  command = ["r", "${PORT}"]');
        count += 2;
        continue;
      }
      out.push('[[service]]', `name = "svc${i}"`, 'command = ["node", "s.js", "${PORT}", "${SVC0_URL}", "${LEVEL}", "${SELF}"]');
      if (i === 42) out.push('env = { NAME = "svc42", SELF = "mine:${SELF}", LOG_LEVEL = "debug", DATABASE_URL = "sqlite:data.db" }');
      else out.push(`env = { NAME = "svc${i}", UP = "\${SVC0_PORT}" }`);
      count++;
    }
    return out.join('\n') + '\n';
  }
  const files = { '.env': 'LOG_LEVEL=info\nPORT=1\nSVC1_URL=nope\nFROM_FILE=f\n' };
  const shell = { HOME: '/home/u', PATH: '/usr/bin', TMUX: 't', PWD: '/p', PORT: '9999', HOST: 'laptop', DEVPORT_KEY: 'nope', SVC5_PORT: 'shell', LOG_LEVEL: 'warn', SHARED: 'shell', DATABASE_URL: 'postgres://shell/db' };
  const opts = { env: shell, checker: { inUse: async () => false } };

  test('1,000 services: the stack-wide env is stored once, each node keeps only its own, and childEnv gives the whole env', async () => {
    const dir = project(scaleSpec(1000), files);
    const p = await okPlan(dir, opts);
    assert.equal(p.nodes.length, 1000);

    // What every node shares is in the plan once.
    assert.equal(Object.keys(p.stackEnv).length, 2000);
    assert.deepEqual(Object.keys(p.sharedEnv).sort(), ['DATABASE_URL', 'LEVEL', 'SHARED']);
    assert.deepEqual(p.baseEnv, { HOME: '/home/u', PATH: '/usr/bin', LOG_LEVEL: 'info', SHARED: 'shell', DATABASE_URL: 'postgres://shell/db', FROM_FILE: 'f' });
    // Per node, a bounded number of entries whatever the size of the stack: SELF (it uses ${PORT}),
    // its service env, the isolated DATABASE_URL, PORT, HOST, DEVPORT_*.
    for (const n of p.nodes) {
      assert.ok(Object.keys(n.ownEnv).length <= 10, `${n.key}: ${Object.keys(n.ownEnv).join(' ')}`);
      assert.ok(n.envNames.length <= 16, `${n.key}: ${n.envNames.join(' ')}`);
      assert.ok(!n.envNames.some((e) => Object.hasOwn(p.stackEnv, e)), 'the stack names are shown once, not per node');
    }
    // In plan.json a node's name appears in the stack layer once, not once per node.
    const json = JSON.stringify(p);
    assert.equal(json.split('"SVC500_URL"').length - 1, 1);
    assert.equal(JSON.parse(json).nodes[0].env, undefined, 'the env view is not stored');
    // Linear: ten times the services, about ten times the plan (a whole env per node made it ~100).
    const small = JSON.stringify(await okPlan(project(scaleSpec(100), files), opts)).length;
    assert.ok(json.length / small < 13, `plan.json grows ${(json.length / small).toFixed(1)}× from 100 to 1,000 services`);

    // The whole environment, built by hand the way a per-node copy was: inherited (minus the
    // deny-list and reserved names) < env_file < [env] < service env < devport's names.
    const stack: Record<string, string> = {};
    for (const m of p.nodes) {
      stack[`${m.prefix}_PORT`] = String(m.port);
      stack[`${m.prefix}_URL`] = m.url ?? '';
    }
    const svc0 = node(p, 'svc0');
    const id = p.isolationId;
    assert.notEqual(id, '');
    const whole = (n: PlanNode, own: Record<string, string>) => ({
      HOME: '/home/u',
      PATH: '/usr/bin',
      LOG_LEVEL: 'info',
      FROM_FILE: 'f',
      SHARED: 'from-env',
      DATABASE_URL: `postgres://127.0.0.1:${svc0.port}/app_${id.replace(/-/g, '_')}`,
      SELF: `http://${n.host}:${n.port}`,
      LEVEL: 'info',
      ...own,
      ...stack,
      HOST: n.host,
      DEVPORT_KEY: n.key,
      DEVPORT_PROJECT_DIR: dir,
      DEVPORT_ID: id,
      PORT: String(n.port),
    });
    const svc42 = node(p, 'svc42');
    const gw = node(p, 'gw98');
    const last = p.nodes.filter((n) => n.key.startsWith('svc')).at(-1) as PlanNode;
    const samples: [PlanNode, Record<string, string>][] = [
      [svc0, { NAME: 'svc0', UP: String(svc0.port) }],
      // The service env beats [env], env_file and the shell, and is isolated like any DATABASE_URL.
      [svc42, { NAME: 'svc42', SELF: `mine:http://127.0.0.1:${svc42.port}`, LOG_LEVEL: 'debug', DATABASE_URL: `sqlite:${path.join(dir, '.devport', 'isolation', id, 'data.db')}` }],
      // A proxy on 0.0.0.0: its own HOST, so its own SELF; its route binds the stack's host.
      [gw, {}],
      [node(p, 'gw98_r'), {}],
      [last, { NAME: last.name, UP: String(svc0.port) }],
    ];
    assert.equal(gw.host, '0.0.0.0');
    for (const [n, own] of samples) {
      assert.deepEqual(childEnv(p, n), whole(n, own), n.key);
      assert.deepEqual(n.env, whole(n, own), `${n.key} (view)`);
    }
    // Templates in commands see the whole env, with the same precedence.
    assert.deepEqual(svc42.command, ['node', 's.js', String(svc42.port), svc0.url, 'info', `mine:http://127.0.0.1:${svc42.port}`]);

    // What a sidecar reads back from plan.json gives the same environments.
    const back = revivePlan(JSON.parse(json) as StoredPlan);
    assert.deepEqual(childEnv(back, node(back, 'svc42')), whole(svc42, samples[1]?.[1] ?? {}));
    assert.deepEqual(node(back, 'gw98').env, whole(gw, {}));
    assert.throws(() => revivePlan({ ...(JSON.parse(json) as StoredPlan), version: 1 } as unknown as StoredPlan), /version 2/);
  });
});
