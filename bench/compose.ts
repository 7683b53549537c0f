// A compose service, up to healthy and down again, against what docker-compose itself takes:
//  up: `devport up --daemon --no-tmux` of one compose node (the busybox httpd image with a `wget`
//      healthcheck) until it exits 0 (it waits for healthy), beside the floor: `compose up -d` of the
//      same files, then `docker inspect --format {{.State.Health.Status}}` every 50 ms until healthy.
//      Two healthchecks: interval 1s (as a user writes it) and 200ms (so the engine's cadence is not
//      the whole story).
//  teardown: `devport down` beside `compose stop` until `docker ps` shows no running container.
// Each trial starts cold but with the image present: the containers and network of the previous one
// were removed (`devport down --volumes` / `compose down -v`, untimed). Interleaved rounds (the order
// rotates), one warm-up round first; medians and per-round ratios; the 1-minute load beside them.
// Then traced rounds: a PATH shim logs every docker / docker-compose call devport makes (start, end),
// and `up --json` says when the sidecar wrote its states: where devport's time goes.
// Images are built here, offline: `docker import` of a rootfs made from a static busybox (as
// test/compose.test.ts does; same recipe, same tag).
// Run: npm run build && node --import tsx bench/compose.ts [rounds=7] [traced=3]

import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeProjectName } from '../src/compose/project.js';
import { ensureImage } from '../test/busybox-image.js';
import { freePort, machine, median, percentile, today } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
const rounds = Number(process.argv[2] ?? 7);
const traced = Number(process.argv[3] ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load1 = () => os.loadavg()[0] ?? 0;

// ---------------------------------------------------------------- the image (as test/compose.test.ts)

// ---------------------------------------------------------------- docker helpers

const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 60_000 }).trim();
}
const byProject = (p: string) => ['--filter', `label=com.docker.compose.project=${p}`];
const runningOf = (p: string) => lines(docker(['ps', '-q', ...byProject(p)]));
const containersOf = (p: string) => lines(docker(['ps', '-aq', ...byProject(p)]));
const volumesOf = (p: string) => lines(docker(['volume', 'ls', '-q', ...byProject(p)]));
const networksOf = (p: string) => lines(docker(['network', 'ls', '-q', ...byProject(p)]));

function purge(p: string): void {
  const ids = containersOf(p);
  if (ids.length > 0) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  for (const v of volumesOf(p)) spawnSync('docker', ['volume', 'rm', v], { stdio: 'ignore' });
  for (const n of networksOf(p)) spawnSync('docker', ['network', 'rm', n], { stdio: 'ignore' });
}

/** The compose CLI the floor uses, picked as devport picks it: the v2 plugin when it answers, else v1. */
function composeCli(): { argv: string[]; kind: 'v1' | 'v2'; version: string } {
  const v2 = spawnSync('docker', ['compose', 'version', '--short'], { encoding: 'utf8' });
  if (v2.status === 0) return { argv: ['docker', 'compose'], kind: 'v2', version: v2.stdout.trim() };
  const v1 = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  if (v1.status !== 0) throw new Error('neither `docker compose` nor `docker-compose` works');
  return { argv: ['docker-compose'], kind: 'v1', version: v1.stdout.trim() };
}

function check(r: SpawnSyncReturns<string>, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal ?? r.error?.message}): ${r.stdout}\n${r.stderr}`);
}

// ---------------------------------------------------------------- the projects

const IMAGE = ensureImage();
const COMPOSE = composeCli();
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-compose-'));
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete env.TMUX;

interface Variant {
  id: string;
  interval: string;
  retries: number;
}
const VARIANTS: Variant[] = [
  { id: '1s', interval: '1s', retries: 20 },
  { id: '200ms', interval: '200ms', retries: 100 },
];

const composeYaml = (v: Variant) => `services:
  web:
    image: ${IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web says hi; httpd -f -p 80 -h /www & wait"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:80/"]
      interval: ${v.interval}
      timeout: 2s
      retries: ${v.retries}
`;

const containerName = (project: string) => (COMPOSE.kind === 'v1' ? `${project}_web_1` : `${project}-web-1`);
const allProjects: string[] = [];

function project(kind: 'dp' | 'floor', v: Variant): { dir: string; project: string } {
  const dir = path.join(tmpRoot, `${kind}-${v.id}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'compose.yaml'), composeYaml(v));
  const p = composeProjectName(dir, '');
  allProjects.push(p);
  return { dir, project: p };
}

interface Trial {
  up: number;
  /** floor: the `compose up -d` part of `up` */
  composeUp?: number;
  /** After the clock started, per the engine's own events: the container started, the container turned healthy. */
  started: number;
  healthy: number;
  down: number;
  /** After the teardown clock started: the container died (per the engine). */
  died: number;
  loadUp: number;
  loadDown: number;
}

/**
 * When the engine says something happened to the project's container since `sinceEpochMs`, in ms
 * after it (first occurrence of `action`): `docker events --since … --until now`, untimed.
 */
function engineTimes(project: string, sinceEpochMs: number, actions: string[]): number[] {
  const r = spawnSync('docker', ['events', '--since', (sinceEpochMs / 1000).toFixed(3), '--until', (Date.now() / 1000 + 0.5).toFixed(3), '--filter', 'type=container', ...byProject(project), '--format', '{{.TimeNano}} {{.Action}}'], { encoding: 'utf8', timeout: 30_000 });
  const seen = lines(r.stdout).map((l) => ({ t: Number(l.slice(0, l.indexOf(' '))) / 1e6, action: l.slice(l.indexOf(' ') + 1) }));
  return actions.map((a) => {
    const e = seen.find((x) => x.action === a && x.t >= sinceEpochMs);
    if (!e) throw new Error(`no "${a}" event of ${project} since ${sinceEpochMs}: ${r.stdout}${r.stderr}`);
    return e.t - sinceEpochMs;
  });
}

interface Method {
  name: string;
  variant: Variant;
  project: string;
  trial(): Promise<Trial>;
  clean(): void;
}

/** devport: one compose node publishing the container port 80 on its allocated port. */
function devportMethod(v: Variant): Method & { dir: string } {
  const { dir, project: p } = project('dp', v);
  writeFileSync(path.join(dir, 'devport.toml'), '[[service]]\nname = "web"\ntype = "compose"\nport = 80\n');
  const dp = (args: string[], e = env) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, env: e, encoding: 'utf8', timeout: 180_000 });
  return {
    name: 'devport',
    variant: v,
    project: p,
    dir,
    async trial() {
      const loadUp = load1();
      let epoch = Date.now();
      let t0 = performance.now();
      const up = dp(['up', '--daemon', '--no-tmux']);
      const upMs = performance.now() - t0;
      check(up, 'devport up');
      const health = docker(['inspect', '--format', '{{.State.Health.Status}}', containerName(p)]);
      if (health !== 'healthy') throw new Error(`devport up returned with the container ${health}`);
      const [started = NaN, healthy = NaN] = engineTimes(p, epoch, ['start', 'health_status: healthy']);
      await sleep(300);
      const loadDown = load1();
      epoch = Date.now();
      t0 = performance.now();
      const down = dp(['down']);
      const downMs = performance.now() - t0;
      check(down, 'devport down');
      const left = runningOf(p);
      if (left.length > 0) throw new Error(`devport down left ${left.length} container(s) of ${p} running`);
      const [died = NaN] = engineTimes(p, epoch, ['die']);
      return { up: upMs, started, healthy, down: downMs, died, loadUp, loadDown };
    },
    clean() {
      check(dp(['down', '--volumes']), 'devport down --volumes');
    },
  };
}

/** The floor: compose up -d of the same compose file with the same port published, then docker inspect every 50 ms. */
function floorMethod(v: Variant): Method {
  const { dir, project: p } = project('floor', v);
  const files = () => ['-f', path.join(dir, 'compose.yaml'), '-f', path.join(dir, 'override.yaml')];
  const compose = (args: string[]) => {
    const [file = '', ...pre] = COMPOSE.argv;
    return spawnSync(file, [...pre, '-p', p, ...files(), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 180_000 });
  };
  return {
    name: 'floor',
    variant: v,
    project: p,
    async trial() {
      // The same override devport writes: the container port on a host port of 127.0.0.1.
      writeFileSync(path.join(dir, 'override.yaml'), `${JSON.stringify({ services: { web: { ports: [`127.0.0.1:${await freePort()}:80`] } } }, null, 2)}\n`);
      const loadUp = load1();
      let epoch = Date.now();
      let t0 = performance.now();
      check(compose(['up', '-d', 'web']), 'compose up');
      const composeUp = performance.now() - t0;
      for (;;) {
        const s = spawnSync('docker', ['inspect', '--format', '{{.State.Health.Status}}', containerName(p)], { encoding: 'utf8' }).stdout.trim();
        if (s === 'healthy') break;
        if (s === 'unhealthy' || performance.now() - t0 > 120_000) throw new Error(`floor container ${s}`);
        await sleep(50);
      }
      const upMs = performance.now() - t0;
      const [started = NaN, healthy = NaN] = engineTimes(p, epoch, ['start', 'health_status: healthy']);
      await sleep(300);
      const loadDown = load1();
      epoch = Date.now();
      t0 = performance.now();
      check(compose(['stop']), 'compose stop');
      while (runningOf(p).length > 0) await sleep(50);
      const downMs = performance.now() - t0;
      const [died = NaN] = engineTimes(p, epoch, ['die']);
      return { up: upMs, composeUp, started, healthy, down: downMs, died, loadUp, loadDown };
    },
    clean() {
      check(compose(['down', '-v']), 'compose down -v');
    },
  };
}

/** No container, volume or network of the project is left. */
function assertClean(p: string): void {
  const left = [...containersOf(p), ...volumesOf(p), ...networksOf(p)];
  if (left.length > 0) throw new Error(`${p}: ${left.length} container(s)/volume(s)/network(s) left after cleaning`);
}

// ---------------------------------------------------------------- the traced rounds

interface Call {
  name: string;
  args: string;
  start: number;
  end: number | null;
  rc: number | null;
}

/** A PATH shim for docker and docker-compose that logs each call's start and end (epoch seconds) to $SHIM_LOG. */
function makeShim(): string {
  const dir = path.join(tmpRoot, 'shim');
  mkdirSync(dir, { recursive: true });
  for (const name of ['docker', 'docker-compose']) {
    const real = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (!real) continue;
    // devport reads v1's version from its entry script instead of running it (cli.ts): keep that true through the shim.
    let version = '';
    try {
      version = /docker-compose==\d+\.\d+\.\d+/.exec(readFileSync(real).subarray(0, 65536).toString('latin1'))?.[0] ?? '';
    } catch {
      /* not readable */
    }
    writeFileSync(
      path.join(dir, name),
      `#!/bin/bash
# logs each call, then runs ${real} ${version ? `(wraps ${version})` : ''}
echo "$(date +%s.%N) $$ start ${name} $*" >> "$SHIM_LOG"
"${real}" "$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT
wait $child; rc=$?
while kill -0 $child 2>/dev/null; do wait $child; rc=$?; done
echo "$(date +%s.%N) $$ end rc=$rc" >> "$SHIM_LOG"
exit $rc
`,
    );
    chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}

function readShimLog(file: string): Call[] {
  if (!existsSync(file)) return [];
  const calls = new Map<string, Call>();
  for (const l of lines(readFileSync(file, 'utf8'))) {
    const m = /^(\d+\.\d+) (\d+) (start|end) (\S+) ?(.*)$/.exec(l);
    if (!m) continue;
    const [, ts = '0', pid = '', what, a = '', b = ''] = m;
    const t = Number(ts) * 1000;
    if (what === 'start') calls.set(pid, { name: a, args: b, start: t, end: null, rc: null });
    else {
      const c = calls.get(pid);
      if (c) {
        c.end = t;
        c.rc = Number(/rc=(\d+)/.exec(a)?.[1] ?? NaN);
      }
    }
  }
  return [...calls.values()].sort((x, y) => x.start - y.start);
}

/** What a call is, in a few words: `docker ps`, `docker compose version`, `docker-compose up`. */
function label(c: Call): string {
  const words = c.args.split(' ').filter((w) => w !== '');
  if (c.name === 'docker') return `docker ${words[0] === 'compose' ? 'compose version' : words[0]}`;
  // docker-compose -p P -f A -f B up -d web: the verb is the first word after the options.
  for (let i = 0; i < words.length; i++) {
    if (['-p', '-f', '--profile'].includes(words[i] ?? '')) i++;
    else return `docker-compose ${words[i]}`;
  }
  return 'docker-compose';
}

interface TracedRound {
  upMs: number;
  events: Map<string, number>;
  /** The container's `start` and `health_status: healthy` events, ms after `up` was spawned. */
  engine: { started: number; healthy: number };
  upCalls: Call[];
  upStart: number;
  upEnd: number;
  /** docker calls the sidecar started in the idle window after `up`, per minute */
  idlePerMin: number;
  downStart: number;
  downEnd: number;
  downCalls: Call[];
  floor: Trial;
}

async function tracedRound(dp: Method & { dir: string }, floor: Method, shim: string, i: number): Promise<TracedRound> {
  const log = (what: string) => path.join(tmpRoot, `trace-${dp.variant.id}-${i}-${what}.log`);
  const tenv = (what: string): NodeJS.ProcessEnv => ({ ...env, PATH: `${shim}:${env.PATH ?? ''}`, SHIM_LOG: log(what) });
  const run = (args: string[], what: string) => spawnSync(process.execPath, [cli, ...args], { cwd: dp.dir, env: tenv(what), encoding: 'utf8', timeout: 180_000 });

  // The floor in the same round, before or after (alternating).
  let floorTrial = i % 2 === 0 ? await floor.trial() : undefined;
  if (floorTrial) floor.clean();
  const upStart = Date.now();
  const up = run(['up', '--daemon', '--no-tmux', '--json'], 'up');
  const upEnd = Date.now();
  check(up, 'devport up (traced)');
  const events = new Map<string, number>();
  for (const l of lines(up.stdout)) {
    const e = JSON.parse(l) as { event: string; state?: string; ts?: string };
    const k = e.event === 'service' ? (e.state ?? '') : e.event;
    if (e.ts && !events.has(k)) events.set(k, Date.parse(e.ts) - upStart);
  }
  const [started = NaN, healthy = NaN] = engineTimes(dp.project, upStart, ['start', 'health_status: healthy']);
  // The sidecar keeps watching its containers: its calls in an idle window (from 2 s after `up` returned).
  await sleep(IDLE_MS + 2000);
  const idleEnd = Date.now();
  const downStart = Date.now();
  check(run(['down'], 'down'), 'devport down (traced)');
  const downEnd = Date.now();
  const upLog = readShimLog(log('up'));
  const downLog = readShimLog(log('down'));
  dp.clean();
  if (!floorTrial) {
    floorTrial = await floor.trial();
    floor.clean();
  }
  const idle = upLog.filter((c) => c.start > upEnd + 2000 && c.start <= idleEnd).length;
  return {
    upMs: upEnd - upStart,
    events,
    engine: { started, healthy },
    upStart,
    upEnd,
    upCalls: upLog.filter((c) => c.start <= upEnd),
    idlePerMin: (idle / (idleEnd - upEnd - 2000)) * 60_000,
    downStart,
    downEnd,
    // down's own calls, and the sidecar's (it logs to the up log: it was started by up)
    downCalls: [...downLog, ...upLog.filter((c) => c.start >= downStart)].sort((a, b) => a.start - b.start),
    floor: floorTrial,
  };
}

const IDLE_MS = 10_000;

/** The sidecar's CPU (its own and its waited-for children's: the docker calls) over IDLE_MS, 3 s after `up` returned, untraced. */
const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The sidecar's CPU, its own and its waited-for children's (the docker calls), over IDLE_MS from 3 s after `up` returned; untraced. */
async function idleCpu(dp: Method & { dir: string }): Promise<number> {
  const up = spawnSync(process.execPath, [cli, 'up', '--daemon', '--no-tmux'], { cwd: dp.dir, env, encoding: 'utf8', timeout: 180_000 });
  check(up, 'devport up (idle)');
  const pid = (JSON.parse(readFileSync(path.join(dp.dir, '.devport', 'web', 'state.json'), 'utf8')) as { supervisor: { pid: number } }).supervisor.pid;
  const ticks = () => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime stime cutime cstime: fields 14-17, counted here from the state field (3)
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
  };
  await sleep(3000);
  const a = ticks();
  const t0 = performance.now();
  await sleep(IDLE_MS);
  const b = ticks();
  const secs = (performance.now() - t0) / 1000;
  check(spawnSync(process.execPath, [cli, 'down'], { cwd: dp.dir, env, encoding: 'utf8', timeout: 180_000 }), 'devport down (idle)');
  dp.clean();
  return ((b - a) / HZ / secs) * 100;
}

/** Costs of the pieces, on this machine, in this run: each 5 times, interleaved. */
function referenceCosts(): { what: string; ms: number }[] {
  const [cfile = '', ...cpre] = COMPOSE.argv;
  const cmds: { what: string; argv: string[] }[] = [
    { what: '`node -e 0`', argv: [process.execPath, '-e', '0'] },
    { what: '`devport --version`', argv: [process.execPath, cli, '--version'] },
    { what: '`docker compose version --short` (the v2 probe; fails here without the plugin)', argv: ['docker', 'compose', 'version', '--short'] },
    { what: `\`${COMPOSE.argv.join(' ')} version --short\` (compose's own start)`, argv: [cfile, ...cpre, 'version', '--short'] },
    { what: '`docker ps -q --filter label=…`', argv: ['docker', 'ps', '-q', ...byProject('none')] },
    { what: '`docker inspect --format … <container>` (missing container)', argv: ['docker', 'inspect', '--format', '{{.State.Health.Status}}', 'none'] },
  ];
  const times = cmds.map(() => [] as number[]);
  for (let r = 0; r < 5; r++) {
    cmds.forEach((c, i) => {
      const t0 = performance.now();
      const [file = '', ...args] = c.argv;
      spawnSync(file, args, { stdio: 'ignore', env });
      times[i]?.push(performance.now() - t0);
    });
  }
  return cmds.map((c, i) => ({ what: c.what, ms: median(times[i] ?? []) }));
}

// ---------------------------------------------------------------- run

const results = new Map<string, Trial[]>();
const key = (m: Method) => `${m.name}:${m.variant.id}`;
const methods: Method[] = [];
const loadsAll: number[] = [];
const loadStart = os.loadavg();
const traces = new Map<string, TracedRound[]>();
const idle = new Map<string, number[]>();
let refs: { what: string; ms: number }[] = [];
const dps = new Map<string, Method & { dir: string }>();
const floors = new Map<string, Method>();
try {
  for (const v of VARIANTS) {
    const d = devportMethod(v);
    const f = floorMethod(v);
    dps.set(v.id, d);
    floors.set(v.id, f);
    methods.push(d, f);
  }
  for (const p of allProjects) purge(p);
  for (let r = 0; r < rounds + 1; r++) {
    // Rotate who goes first, so no method always runs on a warmer or colder machine.
    const order = methods.map((_, i) => methods[(i + r) % methods.length] as Method);
    for (const m of order) {
      const t = await m.trial();
      m.clean();
      assertClean(m.project);
      loadsAll.push(t.loadUp, t.loadDown);
      if (r > 0) results.set(key(m), [...(results.get(key(m)) ?? []), t]);
      process.stderr.write(`round ${r}${r === 0 ? ' (warm-up)' : ''} ${key(m)}: up ${t.up.toFixed(0)} ms${t.composeUp !== undefined ? ` (compose up ${t.composeUp.toFixed(0)})` : ''}, down ${t.down.toFixed(0)} ms, load ${t.loadUp.toFixed(2)}\n`);
    }
  }
  const shim = makeShim();
  for (let i = 0; i < traced; i++) {
    for (const v of i % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      const dp = dps.get(v.id);
      const fl = floors.get(v.id);
      if (!dp || !fl) continue;
      const t = await tracedRound(dp, fl, shim, i);
      traces.set(v.id, [...(traces.get(v.id) ?? []), t]);
      assertClean(dp.project);
      assertClean(fl.project);
      process.stderr.write(`traced round ${i} ${v.id}: up ${t.upMs} ms, floor ${t.floor.up.toFixed(0)} ms; engine start@${t.engine.started.toFixed(0)} healthy@${t.engine.healthy.toFixed(0)}; events ${[...t.events].map(([k, x]) => `${k}@${x}`).join(' ')}\n`);
      for (const c of [...t.upCalls, ...t.downCalls]) {
        const base = c.start >= t.downStart ? t.downStart : t.upStart;
        process.stderr.write(`  ${c.start >= t.downStart ? 'down' : 'up'} +${(c.start - base).toFixed(0)} ms ${c.end === null ? 'running' : `${(c.end - c.start).toFixed(0)} ms`} ${label(c)}\n`);
      }
    }
  }
  for (let i = 0; i < 2; i++) {
    for (const v of VARIANTS) {
      const dp = dps.get(v.id);
      if (dp) idle.set(v.id, [...(idle.get(v.id) ?? []), await idleCpu(dp)]);
    }
  }
  refs = referenceCosts();
} finally {
  for (const m of methods) {
    try {
      m.clean();
    } catch {
      /* purged below */
    }
  }
  for (const p of allProjects) purge(p);
}
const leftovers = allProjects.flatMap((p) => [...containersOf(p), ...volumesOf(p), ...networksOf(p)]).length;
const sidecars = lines(spawnSync('pgrep', ['-af', '_supervise'], { encoding: 'utf8' }).stdout).filter((l) => l.includes(tmpRoot)).length;
rmSync(tmpRoot, { recursive: true, force: true });

// ---------------------------------------------------------------- report

const ms = (x: number) => `${x.toFixed(0)} ms`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(0)} ms`;
const out: string[] = [];
out.push(`## compose — ${today()}\n`);
out.push(
  `${machine()}; Docker ${docker(['version', '--format', '{{.Server.Version}}'])}, ${COMPOSE.argv.join(' ')} ${COMPOSE.version}; ${rounds} interleaved rounds (after one warm-up round); one compose service, the busybox httpd image with a \`wget\` healthcheck (\`timeout: 2s\`); each trial starts with the image present and no container. 1-minute load average over the run: median ${median(loadsAll).toFixed(1)}, ${Math.min(...loadsAll).toFixed(1)}–${Math.max(...loadsAll).toFixed(1)} (at the start ${loadStart.map((x) => x.toFixed(1)).join(' / ')} for 1 / 5 / 15 min), on ${os.cpus().length} cores shared with another engineer's test runs.\n`,
);
out.push('The floor runs the same compose file with the same port published (the override devport writes, `127.0.0.1:<port>:80`): `compose -p devport-<dir>-<hash> -f compose.yaml -f override.yaml up -d web`, then `docker inspect --format {{.State.Health.Status}}` every 50 ms until healthy; its teardown is `compose … stop`, then `docker ps` every 50 ms until no container of the project runs. devport: `devport up --daemon --no-tmux` until it exits 0 (the container was healthy each time), `devport down` until it exits (no container of the project ran after any of them).\n');
const row = (v: Variant, what: 'up' | 'down') => {
  const d = results.get(`devport:${v.id}`) ?? [];
  const f = results.get(`floor:${v.id}`) ?? [];
  const dx = d.map((t) => t[what]);
  const fx = f.map((t) => t[what]);
  const ratios = dx.map((x, i) => x / (fx[i] ?? NaN));
  const diffs = dx.map((x, i) => x - (fx[i] ?? NaN));
  const loads = [...d, ...f].map((t) => (what === 'up' ? t.loadUp : t.loadDown));
  return { dx, fx, ratio: median(ratios), diff: median(diffs), load: median(loads), composeUp: f.map((t) => t.composeUp ?? NaN) };
};
const summary: { v: string; what: string; ratio: number }[] = [];
out.push('### up → healthy\n');
out.push('| healthcheck interval | floor, median / p90 | of which `compose up -d` | devport, median / p90 | devport ÷ floor (median of per-round ratios) | devport − floor (median of per-round differences) | load (1-min, median) |');
out.push('|---|---|---|---|---|---|---|');
for (const v of VARIANTS) {
  const r = row(v, 'up');
  summary.push({ v: v.interval, what: 'up', ratio: r.ratio });
  out.push(`| ${v.interval} | ${ms(median(r.fx))} / ${ms(percentile(r.fx, 90))} | ${ms(median(r.composeUp))} | ${ms(median(r.dx))} / ${ms(percentile(r.dx, 90))} | ${r.ratio.toFixed(2)}× | ${signed(r.diff)} | ${r.load.toFixed(1)} |`);
}
out.push('');
out.push('### teardown\n');
out.push('| after the stack with | floor: `compose stop` until `docker ps` shows none, median / p90 | `devport down`, median / p90 | devport ÷ floor (median of per-round ratios) | devport − floor (median of per-round differences) | load (1-min, median) |');
out.push('|---|---|---|---|---|---|');
for (const v of VARIANTS) {
  const r = row(v, 'down');
  summary.push({ v: v.interval, what: 'down', ratio: r.ratio });
  out.push(`| interval ${v.interval} | ${ms(median(r.fx))} / ${ms(percentile(r.fx, 90))} | ${ms(median(r.dx))} / ${ms(percentile(r.dx, 90))} | ${r.ratio.toFixed(2)}× | ${signed(r.diff)} | ${r.load.toFixed(1)} |`);
}
out.push('');
out.push(`Target: within 1.2× of the floor for both. ${summary.map((s) => `${s.what} (${s.v}): ${s.ratio.toFixed(2)}× ${s.ratio <= 1.2 ? 'met' : '**not met**'}`).join('; ')}.`);
out.push(`Left after the run: ${leftovers} container(s)/volume(s)/network(s) of the bench's projects, ${sidecars} sidecar(s).\n`);

out.push("### Where the time goes, every round (from the engine's own event times)\n");
out.push('Milliseconds after the clock started (medians): `start` and `health_status: healthy` / `die` are the container\'s events as `docker events` timestamps them; the rest is what each method adds after the engine is done.\n');
out.push('| interval | method | container started | healthy (engine) | healthy seen (clock stops) | seen − healthy | teardown: container died | teardown clock stops | stops − died |');
out.push('|---|---|---|---|---|---|---|---|---|');
for (const v of VARIANTS) {
  for (const name of ['floor', 'devport']) {
    const ts = results.get(`${name}:${v.id}`) ?? [];
    const m = (f: (t: Trial) => number) => ms(median(ts.map(f)));
    out.push(`| ${v.interval} | ${name} | ${m((t) => t.started)} | ${m((t) => t.healthy)} | ${m((t) => t.up)} | ${m((t) => t.up - t.healthy)} | ${m((t) => t.died)} | ${m((t) => t.down)} | ${m((t) => t.down - t.died)} |`);
  }
}
out.push('');

const withTraces = VARIANTS.filter((v) => (traces.get(v.id) ?? []).length > 0);
if (withTraces.length > 0) {
  const n = traces.get(withTraces[0]?.id ?? '')?.length ?? 0;
  const med = (v: Variant, f: (t: TracedRound) => number | undefined) => median((traces.get(v.id) ?? []).map(f).filter((x): x is number => x !== undefined && Number.isFinite(x)));
  const first = (t: TracedRound, l: string) => t.upCalls.find((c) => label(c) === l);
  const rel = (t: TracedRound, c: Call | undefined, end = false) => (c ? (end ? (c.end ?? NaN) : c.start) - t.upStart : undefined);
  const upCompose = (t: TracedRound) => first(t, 'docker-compose up');
  const head = `| ${withTraces.map((v) => `interval ${v.interval}`).join(' | ')} |`;
  const rule = `|${withTraces.map(() => '---').join('|')}|`;
  out.push(`### Where devport's time goes (${n} traced round${n === 1 ? '' : 's'} per interval)\n`);
  out.push("A PATH shim logs the start and end of every `docker` / `docker-compose` call devport makes (it adds ~5–10 ms to each; what the sidecar asks the engine over its socket — containers, inspect, the event stream — is not a call); `up --json` gives the times of the sidecar's states. `up`, milliseconds after it was spawned, medians:\n");
  out.push(`| moment ${head}`);
  out.push(`|---${rule}`);
  const moments: [string, (t: TracedRound) => number | undefined][] = [
    ['event `preflight`', (t) => t.events.get('preflight')],
    ['the sidecar writes its first state (`pending`)', (t) => t.events.get('pending')],
    ['**`docker-compose up -d web` starts**', (t) => rel(t, upCompose(t))],
    ['**… and returns**', (t) => rel(t, upCompose(t), true)],
    ['the container starts (engine event `start`)', (t) => t.engine.started],
    ['the container is healthy (engine event `health_status: healthy`)', (t) => t.engine.healthy],
    ['event `healthy` (the sidecar wrote it)', (t) => t.events.get('healthy')],
    ['**`up` exits**', (t) => t.upEnd - t.upStart],
  ];
  for (const [what, f] of moments) out.push(`| ${what} | ${withTraces.map((v) => med(v, f).toFixed(0)).join(' | ')} |`);
  out.push('');
  out.push(
    `From the engine's \`healthy\` to \`up\` exiting: ${withTraces.map((v) => `${v.interval}: ${ms(med(v, (t) => t.upMs - t.engine.healthy))} (${(traces.get(v.id) ?? []).map((t) => (t.upMs - t.engine.healthy).toFixed(0)).join(', ')})`).join('; ')}.\n`,
  );
  out.push('Against the floor of the same rounds (medians):\n');
  out.push(`| part ${withTraces.map((v) => `| ${v.interval}: devport | floor | difference `).join('')}|`);
  out.push(`|---${withTraces.map(() => '|---|---|---').join('')}|`);
  const parts: [string, (t: TracedRound) => number, (t: TracedRound) => number][] = [
    ['before `compose up -d` starts', (t) => rel(t, upCompose(t)) ?? NaN, () => 0],
    ['`compose up -d`', (t) => (upCompose(t)?.end ?? NaN) - (upCompose(t)?.start ?? NaN), (t) => t.floor.composeUp ?? NaN],
    ['`compose up -d` returned → healthy seen (devport: `up` exits)', (t) => t.upEnd - (upCompose(t)?.end ?? NaN), (t) => t.floor.up - (t.floor.composeUp ?? NaN)],
    ['total', (t) => t.upMs, (t) => t.floor.up],
  ];
  for (const [what, d, f] of parts) {
    out.push(`| ${what} ${withTraces.map((v) => `| ${ms(med(v, d))} | ${ms(med(v, f))} | ${signed(med(v, (t) => d(t) - f(t)))} `).join('')}|`);
  }
  out.push('');
  /** Per kind of call, its count in each round: `docker ps × 4/4/3/4`. */
  const calls = (rounds: Call[][]) => {
    const kinds = [...new Set(rounds.flat().map(label))].sort((a, b) => a.localeCompare(b));
    const per = kinds.map((k) => `${k} × ${rounds.map((r) => r.filter((c) => label(c) === k).length).join('/')}`);
    return `${rounds.map((r) => r.length).join('/')}: ${per.join(', ')}`;
  };
  out.push('Calls devport makes, counted in each traced round (`a/b/c/d`); the floor makes 1 `compose up` + one `docker inspect` per 50 ms poll, and 1 `compose stop` + `docker ps` polls:\n');
  out.push('| interval | during `up` | while running (from 2 s after `up` returned, 10 s window) | during `down` | sidecar CPU while running (its docker calls included; untraced, 2 × 10 s) |');
  out.push('|---|---|---|---|---|');
  for (const v of withTraces) {
    const ts = traces.get(v.id) ?? [];
    out.push(
      `| ${v.interval} | ${calls(ts.map((t) => t.upCalls))} | ${ts.map((t) => `${t.idlePerMin.toFixed(0)}/min`).join(', ')} | ${calls(ts.map((t) => t.downCalls))} | ${(idle.get(v.id) ?? []).map((x) => `${x.toFixed(1)} %`).join(', ')} of a core |`,
    );
  }
  out.push('');
  const stop = (t: TracedRound) => t.downCalls.find((c) => label(c) === 'docker-compose stop');
  out.push(`| \`devport down\`, ms after it was spawned (medians) ${head}`);
  out.push(`|---${rule}`);
  const downMoments: [string, (t: TracedRound) => number][] = [
    ["the sidecar's `docker-compose stop` starts", (t) => (stop(t)?.start ?? NaN) - t.downStart],
    ['… and returns', (t) => (stop(t)?.end ?? NaN) - t.downStart],
    ['`down` exits', (t) => t.downEnd - t.downStart],
    ['floor (same rounds): `compose stop` until `docker ps` shows none', (t) => t.floor.down],
  ];
  for (const [what, f] of downMoments) out.push(`| ${what} | ${withTraces.map((v) => med(v, f).toFixed(0)).join(' | ')} |`);
  out.push('');
}
if (refs.length > 0) {
  out.push('Costs of the pieces on this machine during the run (median of 5, interleaved):\n');
  out.push('| command | wall time |');
  out.push('|---|---|');
  for (const r of refs) out.push(`| ${r.what} | ${ms(r.ms)} |`);
  out.push('');
}
process.stdout.write(`${out.join('\n')}\n`);
