// Hot reload, measured with real processes:
//  1. edit → the new generation answers HTTP, for a trivial Node server: devport (watch_debounce
//     default and 20ms), nodemon 3 (installed into bench/.deps on first run), a floor (fs.watch on
//     the file, kill, respawn; no debounce) and Node's own boot (spawn → answers, no watcher);
//     interleaved round by round, the order rotating;
//  1b. bursts of saves (a checkout, "save all", a formatter): how many reloads each causes, per debounce;
//  2. a C service with a real build (cc): edit server.c → the new body answers; the build's own time;
//  3. a tree of 10,000 files (beside a node_modules of 500 packages) with one watched and one
//     unwatched service: each sidecar's idle CPU and memory, its inotify watches, the watched one's
//     start → `watching N files`;
//  4. @parcel/watcher against Node's recursive fs.watch on that tree, in bare Node processes.
// The machine is shared: every table carries the load (1-min loadavg) and how busy the CPUs were.
// Run: npm run build && node --import tsx bench/reload.ts [rounds=15] [treeRounds=7] [parts=1,1b,2,3,4]

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateFile } from '../src/state/types.js';
import { ALWAYS_IGNORED } from '../src/supervisor/watch.js';
import { machine, median, percentile, today, until } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
const rounds = Number(process.argv[2] ?? 15);
const treeRounds = Number(process.argv[3] ?? 7);
const parts = new Set((process.argv[4] ?? '1,1b,2,3,4').split(','));
/**
 * Between two edits: longer than the watchers' own quiet spells. @parcel/watcher reports an event at once
 * only when it delivered none in the last 500 ms (src/Debounce.cc, MAX_WAIT_TIME), else after 50 ms of quiet.
 */
const QUIET_MS = 700;
const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const epoch = () => performance.timeOrigin + performance.now();
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete env.TMUX;
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-reload-'));

// ---- measuring ------------------------------------------------------------------------

/** Load beside a figure: the 1-min loadavg sampled at each measurement, and how busy the CPUs were over a part. */
class Load {
  readonly samples: number[] = [];
  readonly #cpu0 = Load.cpu();
  static cpu(): { busy: number; total: number } {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  }
  sample(): number {
    const l = os.loadavg()[0] ?? 0;
    this.samples.push(l);
    return l;
  }
  /** "load 1.21 (0.98–1.60), CPUs 47 % busy" over this part (the bench's own processes included). */
  text(): string {
    const c = Load.cpu();
    const busy = ((c.busy - this.#cpu0.busy) / Math.max(1, c.total - this.#cpu0.total)) * 100;
    return `1-min load ${loadRange(this.samples)}; the CPUs were ${busy.toFixed(0)} % busy over this part (this bench included)`;
  }
}
const loadRange = (xs: number[]) => (xs.length === 0 ? '—' : `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`);

function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Milliseconds since the process started (10 ms resolution: /proc counts in clock ticks). */
function processAgeMs(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const start = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]);
  const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return (up - start / HZ) * 1000;
}

function smaps(pid: number): { pss: number; priv: number } {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { pss: kb('Pss') / 1024, priv: (kb('Private_Clean') + kb('Private_Dirty')) / 1024 };
}

function rssMb(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

/** inotify watches a process holds: the `inotify wd:` lines of its fdinfo. */
function inotifyWatches(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let t: string;
    try {
      t = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1');
    } catch {
      continue;
    }
    for (let i = t.indexOf('\ninotify'); i !== -1; i = t.indexOf('\ninotify', i + 1)) n++;
  }
  return n;
}

/** CPU time of all of a process's threads in ns (schedstat of each /proc/<pid>/task/<tid>): exact where utime+stime count 10 ms ticks. */
function cpuNs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* a thread gone meanwhile */
    }
  }
  return ns;
}

/** % of one core used by `pids` over `ms`: by utime+stime (ticks) and by schedstat (ns, every thread). */
async function idleCpu(pids: number[], ms: number): Promise<{ ticks: number[]; exact: number[] }> {
  const t0 = pids.map(cpuTicks);
  const n0 = pids.map(cpuNs);
  const w0 = performance.now();
  await sleep(ms);
  const secs = (performance.now() - w0) / 1000;
  return {
    ticks: pids.map((p, i) => ((cpuTicks(p) - (t0[i] ?? 0)) / HZ / secs) * 100),
    exact: pids.map((p, i) => ((cpuNs(p) - (n0[i] ?? 0)) / 1e9 / secs) * 100),
  };
}

function get(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', () => resolve(undefined));
      res.on('close', () => resolve(undefined)); // cut off mid-response: a no (a settled promise ignores it)
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Polls with a fresh connection every ~1 ms until the body is `body`; returns performance.now() then. */
async function untilBody(port: number, body: string, timeoutMs = 20_000): Promise<number> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if ((await get(port)) === body) return performance.now();
    if (performance.now() > end) throw new Error(`port ${port} never answered ${JSON.stringify(body)}`);
    await sleep(1);
  }
}

const stats = (xs: number[]) => ({ med: median(xs), p90: percentile(xs, 90), min: Math.min(...xs), max: Math.max(...xs) });
const ms0 = (x: number) => `${x.toFixed(0)} ms`;
const ms1 = (x: number) => `${x.toFixed(1)} ms`;

// ---- processes ----------------------------------------------------------------------

function listeningPorts(): Set<number> {
  return new Set(
    ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) =>
      readFileSync(f, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((c) => c[3] === '0A').map((c) => parseInt(c[1]?.split(':').pop() ?? '0', 16)),
    ),
  );
}
// Below Linux's ephemeral range (32768+), where the poller's own connections take their ports.
let nextPort = 12_000;
function freePort(): number {
  const busy = listeningPorts();
  while (busy.has(nextPort)) nextPort++;
  return nextPort++;
}

function devport(dir: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`devport ${args.join(' ')} failed in ${dir}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

type LsRow = StateFile & { key: string; alive: boolean };
const ls = (dir: string): LsRow[] =>
  devport(dir, 'ls')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LsRow);
const row = (dir: string, key: string): LsRow => {
  const r = ls(dir).find((x) => x.key === key);
  if (!r) throw new Error(`no service ${key} in ${dir}`);
  return r;
};
const stateOf = (dir: string, key: string) => JSON.parse(readFileSync(path.join(dir, '.devport', key, 'state.json'), 'utf8')) as StateFile;
const outputLog = (dir: string, key: string) => readFileSync(path.join(dir, '.devport', key, 'output.log'), 'utf8');

/** Who was started here and must be gone at the end: detached process groups, devport projects. */
const groups = new Set<number>();
const projects = new Set<string>();

function spawnGroup(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; stdout?: 'pipe' | 'ignore' }): ChildProcess {
  const c = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? env, detached: true, stdio: ['ignore', opts.stdout ?? 'ignore', 'ignore'] });
  if (c.pid !== undefined) groups.add(c.pid);
  return c;
}

async function killGroup(c: ChildProcess): Promise<void> {
  const pid = c.pid;
  if (pid === undefined) return;
  const gone = c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()));
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  await Promise.race([gone, sleep(3000)]);
  try {
    process.kill(-pid, 'SIGKILL'); // whatever of the group is left (nodemon's child, the floor's)
  } catch {
    /* all gone */
  }
  groups.delete(pid);
}

function cleanup(): void {
  for (const dir of projects) spawnSync(process.execPath, [cli, 'down'], { cwd: dir, env, stdio: 'ignore' });
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(tmpRoot, { recursive: true, force: true });
}

function ensureNodemon(): string {
  const home = path.join(repo, 'bench', '.deps');
  const bin = path.join(home, 'node_modules', '.bin', 'nodemon');
  if (!existsSync(bin)) {
    mkdirSync(home, { recursive: true });
    // npm prunes what an earlier --no-save install put there: keep lifecycle.ts's pm2 if it is present.
    const keep = existsSync(path.join(home, 'node_modules', '.bin', 'pm2')) ? ['pm2@7'] : [];
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', home, 'nodemon@3', ...keep], { stdio: 'inherit' });
  }
  return bin;
}

// ---- 1. edit → the new generation answers ---------------------------------------------

/** The service: answers its VERSION; notes each start in boots.log once it listens (to count starts per edit). */
const SERVER_JS = (version: string) =>
  `const VERSION = ${JSON.stringify(version)};\n` +
  `require('http').createServer((q, s) => s.end(VERSION)).listen(Number(process.env.PORT), '127.0.0.1', () => require('fs').appendFileSync('boots.log', VERSION + '\\n'));\n`;

/** The floor: the least a reloader can do. No debounce, no content comparison. */
const FLOOR_JS = `// fs.watch on the file; on a change: kill the old child, spawn the new one once it exited.
const { spawn } = require('child_process');
const fs = require('fs');
const file = process.argv[2];
const start = () => spawn(process.execPath, [file], { stdio: 'inherit' });
let child = start();
let restarting = false;
fs.watch(file, () => {
  if (restarting) return; // the rest of this save: the new child reads the file as it is then
  restarting = true;
  child.once('exit', () => {
    child = start();
    restarting = false;
  });
  child.kill('SIGTERM');
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    child.kill('SIGTERM');
    process.exit(0);
  });
}
`;

interface Reloader {
  name: string;
  dir: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** After an edit answered: anything to note (devport: its reload record). */
  after?(editEpoch: number, answerMs: number, record: boolean): void;
}

function project(name: string): string {
  const dir = path.join(tmpRoot, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'server.js'), SERVER_JS('v0'));
  return dir;
}

interface Steps {
  decided: number[];
  stopped: number[];
  spawnToAnswer: number[];
}

function devportReloader(name: string, debounce: string | null): Reloader & { steps: Steps; generation(): number } {
  const dir = project(name);
  const steps: Steps = { decided: [], stopped: [], spawnToAnswer: [] };
  writeFileSync(
    path.join(dir, 'devport.toml'),
    `[[service]]\nname = "web"\ncommand = ["node", "server.js"]\nwatch = ["server.js"]\n${debounce ? `watch_debounce = "${debounce}"\n` : ''}`,
  );
  let reloads = 0;
  const r = {
    name,
    dir,
    port: 0,
    steps,
    generation: () => stateOf(dir, 'web').state.generation,
    async start() {
      projects.add(dir);
      devport(dir, 'up', '--daemon', '--no-tmux');
      r.port = row(dir, 'web').state.port ?? 0;
      await until('watching', () => (/\[devport\] watching 1 file/.test(outputLog(dir, 'web')) ? true : undefined));
      await untilBody(r.port, 'v0');
    },
    async stop() {
      devport(dir, 'down');
      projects.delete(dir);
    },
    /** Where the time went: state.json's reload.at (the reload decided) and the sidecar's "stopped by SIGTERM in N ms". */
    after(editEpoch: number, answerMs: number, record: boolean) {
      const at = Date.parse(stateOf(dir, 'web').state.reload?.at ?? '');
      const stops = [...outputLog(dir, 'web').matchAll(/reloading \(.*?\): stopped by SIG\w+ in (\d+) ms/g)];
      if (stops.length !== reloads + 1 || !Number.isFinite(at)) return; // a double reload: not a clean decomposition
      reloads = stops.length;
      if (!record) return;
      const stopped = Number(stops.at(-1)?.[1]);
      const decided = at - editEpoch;
      steps.decided.push(decided);
      steps.stopped.push(stopped);
      steps.spawnToAnswer.push(answerMs - decided - stopped);
    },
  };
  return r;
}

function nodemonReloader(bin: string): Reloader {
  const dir = project('nodemon');
  let c: ChildProcess | undefined;
  const r: Reloader = {
    name: 'nodemon',
    dir,
    port: 0,
    async start() {
      r.port = freePort();
      c = spawnGroup(bin, ['-q', '--watch', 'server.js', 'server.js'], { cwd: dir, env: { ...env, PORT: String(r.port) } });
      await untilBody(r.port, 'v0');
      await sleep(1000); // chokidar's initial scan ('ready')
    },
    async stop() {
      if (c) await killGroup(c);
    },
  };
  return r;
}

function floorReloader(): Reloader {
  const dir = project('floor');
  writeFileSync(path.join(dir, 'floor.js'), FLOOR_JS);
  let c: ChildProcess | undefined;
  const r: Reloader = {
    name: 'floor',
    dir,
    port: 0,
    async start() {
      r.port = freePort();
      c = spawnGroup(process.execPath, ['floor.js', 'server.js'], { cwd: dir, env: { ...env, PORT: String(r.port) } });
      await untilBody(r.port, 'v0');
      await sleep(300);
    },
    async stop() {
      if (c) await killGroup(c);
    },
  };
  return r;
}

/** Starts per edit, from boots.log (the first line is the initial start). */
const startsPerEdit = (dir: string, edits: number) => (readFileSync(path.join(dir, 'boots.log'), 'utf8').trim().split('\n').length - 1) / edits;

async function editToAnswer(out: string[]): Promise<void> {
  const load = new Load();
  const nodemonBin = ensureNodemon();
  const nodemonVersion = (JSON.parse(readFileSync(path.join(repo, 'bench', '.deps', 'node_modules', 'nodemon', 'package.json'), 'utf8')) as { version: string }).version;
  const dp50 = devportReloader('devport-default', null);
  const dp20 = devportReloader('devport-20ms', '20ms');
  const methods: Reloader[] = [dp50, dp20, nodemonReloader(nodemonBin), floorReloader()];
  const bootDir = project('boot');
  const bootPort = freePort();
  const names: Record<string, string> = {
    'devport-default': 'devport, `watch_debounce` default (50ms)',
    'devport-20ms': 'devport, `watch_debounce = "20ms"`',
    nodemon: `nodemon ${nodemonVersion} (\`-q --watch server.js\`)`,
    floor: 'floor: `fs.watch` + kill + spawn (20 lines, no debounce)',
    boot: 'no watcher: spawn `node server.js` → answers (Node\'s boot)',
  };
  const times = new Map<string, number[]>();
  const loads = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  try {
    for (const m of methods) await m.start();
    let edits = 0;
    for (let r = 0; r <= rounds; r++) {
      const order = [...methods, undefined].map((_, i, all) => all[(i + r) % all.length]);
      for (const m of order) {
        const l = load.sample();
        const version = `v${r + 1}-${Math.random().toString(36).slice(2, 8)}`;
        if (m === undefined) {
          // Node's boot, for reference: spawn → answers, then gone before the next trial.
          writeFileSync(path.join(bootDir, 'server.js'), SERVER_JS(version));
          const t0 = performance.now();
          const c = spawnGroup(process.execPath, ['server.js'], { cwd: bootDir, env: { ...env, PORT: String(bootPort) } });
          const t1 = await untilBody(bootPort, version);
          await killGroup(c);
          if (r > 0) (push(times, 'boot', t1 - t0), push(loads, 'boot', l));
        } else {
          const e0 = epoch();
          const t0 = performance.now();
          writeFileSync(path.join(m.dir, 'server.js'), SERVER_JS(version));
          const t1 = await untilBody(m.port, version);
          await sleep(QUIET_MS / 2); // the state and the log are written by then
          m.after?.(e0, t1 - t0, r > 0);
          if (r > 0) (push(times, m.name, t1 - t0), push(loads, m.name, l));
        }
        await sleep(QUIET_MS);
      }
      edits++;
    }
    const starts = new Map(methods.map((m) => [m.name, startsPerEdit(m.dir, edits)]));
    const gens = { [dp50.name]: dp50.generation() - 1, [dp20.name]: dp20.generation() - 1 };

    const nm = times.get('nodemon') ?? [];
    const ratio = (name: string) => median((times.get(name) ?? []).map((x, i) => x / (nm[i] ?? NaN)));
    out.push('### 1. Edit → the new generation answers HTTP (trivial Node server)\n');
    out.push(
      `\`server.js\` is rewritten with a new VERSION (one \`writeFileSync\`); the clock stops when a GET to the service's port (a fresh connection, \`agent: false\`, every ~1 ms) returns it. ${rounds} rounds after a warm-up round; in each, every method gets one edit, in a rotating order, ${QUIET_MS} ms apart (${QUIET_MS * 1.5} ms after an edit answered).\n`,
    );
    out.push('| method | median | p90 | min | max | ÷ nodemon (median of per-round ratios) | starts per edit | load (1-min) |');
    out.push('|---|---|---|---|---|---|---|---|');
    for (const name of [...methods.map((m) => m.name), 'boot']) {
      const s = stats(times.get(name) ?? []);
      const per = starts.get(name);
      const gen = gens[name];
      const startsText = per === undefined ? '—' : `${per.toFixed(2)}${gen !== undefined ? ` (generations: ${gen} for ${edits} edits)` : ''}`;
      out.push(
        `| ${names[name]} | ${ms1(s.med)} | ${ms1(s.p90)} | ${ms1(s.min)} | ${ms1(s.max)} | ${name === 'nodemon' ? '1.00×' : `${ratio(name).toFixed(2)}×`} | ${startsText} | ${loadRange(loads.get(name) ?? [])} |`,
      );
    }
    const met = ratio(dp50.name) <= 1.2;
    out.push('');
    out.push(`Target: devport ≤ 1.2× nodemon's median — default: ${ratio(dp50.name).toFixed(2)}× (${met ? 'met' : '**not met**'}); with 20ms: ${ratio(dp20.name).toFixed(2)}×.\n`);
    out.push("devport's reload step by step (medians; `reload.at` in state.json against the edit's wall clock, the sidecar's own `stopped by SIGTERM in N ms`, the rest until the new generation answers):\n");
    out.push('| step | default (50ms) | 20ms |');
    out.push('|---|---|---|');
    const stepRow = (label: string, k: keyof Steps) => out.push(`| ${label} | ${ms0(median(dp50.steps[k]))} | ${ms0(median(dp20.steps[k]))} |`);
    stepRow('edit → reload decided (watch event, debounce, content compared)', 'decided');
    stepRow('old child stopped (SIGTERM → exit reaped)', 'stopped');
    stepRow('new child spawned (pty) → answers', 'spawnToAnswer');
    out.push(`| edits with a clean decomposition | ${dp50.steps.decided.length} of ${rounds} | ${dp20.steps.decided.length} of ${rounds} |`);
    out.push('');
    out.push(`Load: ${load.text()}.\n`);
  } finally {
    for (const m of methods) await m.stop().catch(() => {});
  }
}

// ---- 1b. bursts: one reload per burst? -------------------------------------------------

/** Several files saved together, `gapMs` apart, across directories: what the debounce must hold together. */
const BURSTS = [
  { name: 'checkout: 20 files in 5 directories, back to back', files: 20, dirs: 5, gapMs: 0 },
  { name: 'save all: 4 files in one directory, 10 ms apart', files: 4, dirs: 1, gapMs: 10 },
  { name: 'save all: 4 files in 4 directories, 10 ms apart', files: 4, dirs: 4, gapMs: 10 },
  { name: 'formatter: 10 files in 5 directories, 25 ms apart', files: 10, dirs: 5, gapMs: 25 },
  { name: 'format on save: one file written twice, 30 ms apart', files: 2, dirs: 1, gapMs: 30, sameFile: true },
];

async function bursts(out: string[]): Promise<void> {
  const load = new Load();
  const reps = Math.max(5, Math.ceil(rounds / 3));
  const mk = (name: string, debounce: string | null) => {
    const dir = project(name);
    for (let d = 0; d < 5; d++) {
      mkdirSync(path.join(dir, 'src', `d${d}`), { recursive: true });
      for (let f = 0; f < 4; f++) writeFileSync(path.join(dir, 'src', `d${d}`, `f${f}.js`), `// ${f}\n`);
    }
    writeFileSync(
      path.join(dir, 'devport.toml'),
      `[[service]]\nname = "web"\ncommand = ["node", "server.js"]\nwatch = ["src/**/*.js"]\n${debounce ? `watch_debounce = "${debounce}"\n` : ''}`,
    );
    return { dir, debounce: debounce ?? '50ms (default)' };
  };
  const projs = [mk('burst-default', null), mk('burst-20ms', '20ms')];
  const reloads = new Map<string, number[]>();
  try {
    for (const p of projs) {
      projects.add(p.dir);
      devport(p.dir, 'up', '--daemon', '--no-tmux');
      await until('watching', () => (/\[devport\] watching \d+ files/.test(outputLog(p.dir, 'web')) ? true : undefined));
    }
    for (let r = 0; r < reps; r++) {
      for (const [bi, b] of BURSTS.entries()) {
        const order = r % 2 === 0 ? projs : [...projs].reverse();
        for (const p of order) {
          load.sample();
          const g0 = stateOf(p.dir, 'web').state.generation;
          const tag = Math.random().toString(36).slice(2, 8);
          for (let i = 0; i < b.files; i++) {
            // Round-robin over the directories: d0/f0, d1/f0, …, d4/f0, d0/f1, …
            const f = 'sameFile' in b ? 0 : Math.floor(i / b.dirs);
            writeFileSync(path.join(p.dir, 'src', `d${i % b.dirs}`, `f${f}.js`), `// ${tag} ${i}\n`);
            if (b.gapMs > 0 && i < b.files - 1) await sleep(b.gapMs);
          }
          // Past @parcel/watcher's MAX_WAIT (500 ms) and every debounce, and the new child healthy.
          await sleep(1500);
          await until('healthy', () => (stateOf(p.dir, 'web').state.state === 'healthy' ? true : undefined));
          const k = `${bi}:${p.debounce}`;
          reloads.set(k, [...(reloads.get(k) ?? []), stateOf(p.dir, 'web').state.generation - g0]);
        }
      }
    }
  } finally {
    for (const p of projs) {
      spawnSync(process.execPath, [cli, 'down'], { cwd: p.dir, env, stdio: 'ignore' });
      projects.delete(p.dir);
    }
  }
  out.push('### 1b. Bursts: how many reloads one burst of saves causes\n');
  out.push(
    `\`watch = ["src/**/*.js"]\`, 20 files in src/d0 … src/d4; each burst rewrites files round-robin over the directories; ${reps} bursts of each kind per setting, interleaved, 1.5 s apart. 1 is right; 2 or more means the burst was cut (each cut is one more restart of the child).\n`,
  );
  out.push(`| burst | ${projs.map((p) => `reloads per burst, debounce ${p.debounce}`).join(' | ')} |`);
  out.push(`|---|${projs.map(() => '---').join('|')}|`);
  for (const [bi, b] of BURSTS.entries()) {
    const cell = (p: { debounce: string }) => {
      const xs = reloads.get(`${bi}:${p.debounce}`) ?? [];
      const hist = [...new Set(xs)].sort((a, c) => a - c).map((n) => `${xs.filter((x) => x === n).length}× ${n}`);
      return `${(xs.reduce((a, c) => a + c, 0) / Math.max(1, xs.length)).toFixed(2)} (${hist.join(', ')})`;
    };
    out.push(`| ${b.name} | ${projs.map(cell).join(' | ')} |`);
  }
  out.push('');
  out.push(`Load: ${load.text()}.\n`);
}

// ---- 2. a compiled service with a real build --------------------------------------------

const SERVER_C = (body: string) => `// A tiny HTTP server: answers BODY to every request. PORT from the environment.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY "${body}"

int main(void) {
  const char *p = getenv("PORT");
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(p ? atoi(p) : 8080);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 128) != 0) {
    perror("bind");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  char req[4096], res[256];
  int n = snprintf(res, sizeof res, "HTTP/1.1 200 OK\\r\\nContent-Length: %zu\\r\\nConnection: close\\r\\n\\r\\n%s", strlen(BODY), BODY);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    if (recv(c, req, sizeof req, 0) > 0) send(c, res, n, 0);
    close(c);
  }
}
`;

async function compiled(out: string[]): Promise<void> {
  const load = new Load();
  const dir = path.join(tmpRoot, 'csrv');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'server.c'), SERVER_C('c0'));
  const build = 'mkdir -p tmp && cc -O0 -o tmp/server server.c';
  writeFileSync(path.join(dir, 'devport.toml'), `[[service]]\nname = "csrv"\nbuild = ["sh", "-c", ${JSON.stringify(build)}]\ncommand = ["./tmp/server"]\nwatch = ["*.c"]\n`);
  const answer: number[] = [];
  const built: number[] = [];
  const direct: number[] = [];
  const overhead: number[] = [];
  const loads: number[] = [];
  try {
    projects.add(dir);
    devport(dir, 'up', '--daemon', '--no-tmux');
    const port = row(dir, 'csrv').state.port ?? 0;
    await until('watching', () => (/\[devport\] watching 1 file/.test(outputLog(dir, 'csrv')) ? true : undefined));
    await untilBody(port, 'c0');
    for (let r = 0; r <= rounds; r++) {
      const l = load.sample();
      const body = `c${r + 1}-${Math.random().toString(36).slice(2, 8)}`;
      const started = Date.now();
      const t0 = performance.now();
      writeFileSync(path.join(dir, 'server.c'), SERVER_C(body));
      const t1 = await untilBody(port, body);
      await sleep(QUIET_MS / 2);
      const b = row(dir, 'csrv').state.build; // what `devport ls` says about the build
      if (!b?.ok || b.duration_ms === null || Date.parse(b.started_at) < started) throw new Error(`no build record for this edit: ${JSON.stringify(b)}`);
      // The same build, run by the bench (interleaved) while it polls the port as during devport's build: what cc alone costs now.
      let d1 = 0;
      const d0 = performance.now();
      const cc = spawn('sh', ['-c', 'mkdir -p tmp && cc -O0 -o tmp/direct server.c'], { cwd: dir, stdio: 'ignore' });
      const code = new Promise<number | null>((res) => cc.once('close', (c) => ((d1 = performance.now()), res(c))));
      while (d1 === 0) (await get(port), await sleep(1));
      if ((await code) !== 0) throw new Error('cc failed');
      if (r > 0) {
        answer.push(t1 - t0);
        built.push(b.duration_ms);
        direct.push(d1 - d0);
        overhead.push(t1 - t0 - b.duration_ms);
        loads.push(l);
      }
      await sleep(QUIET_MS);
    }
  } finally {
    spawnSync(process.execPath, [cli, 'down'], { cwd: dir, env, stdio: 'ignore' });
    projects.delete(dir);
  }
  out.push('### 2. A compiled service, build included (C, `cc -O0`)\n');
  out.push(
    `\`build = ["sh", "-c", "${build}"]\`, \`command = ["./tmp/server"]\`, \`watch = ["*.c"]\`; a ~40-line C server (socket, bind, listen, accept; a fixed body). The edit rewrites server.c with a new body; the old child serves during the build. ${rounds} edits after a warm-up one, ${QUIET_MS * 1.5} ms apart; load (1-min) ${loadRange(loads)}.\n`,
  );
  out.push('| measure | median | p90 | min | max | target |');
  out.push('|---|---|---|---|---|---|');
  const line = (label: string, xs: number[], target = '') => {
    const s = stats(xs);
    out.push(`| ${label} | ${ms0(s.med)} | ${ms0(s.p90)} | ${ms0(s.min)} | ${ms0(s.max)} | ${target} |`);
  };
  const met = median(answer) <= 1000;
  line('edit server.c → the new body answers', answer, `≤ 1 s (${met ? 'met' : '**not met**'})`);
  line('the build, as `devport ls` records it (`state.build.duration_ms`)', built);
  line('the same `sh -c "mkdir -p tmp && cc …"` run by the bench, polling meanwhile', direct);
  line('edit → answer minus the build (debounce, stop, spawn, bind)', overhead);
  out.push('');
  out.push(`Load: ${load.text()}.\n`);
}

// ---- 3 and 4. a tree of 10,000 files ----------------------------------------------------

const TREE = { top: 20, sub: 10, files: 50, packages: 500 };

/** src/mNN/dN/fNN.js: 20 × 10 directories of 50 files (10,000); node_modules/pkg-NNN/{package.json,index.js,README.md,lib/util.js}. */
function makeTree(dir: string): { files: number; dirs: number; nmFiles: number; nmDirs: number } {
  let files = 0;
  let dirs = 1;
  for (let m = 0; m < TREE.top; m++) {
    dirs++;
    for (let d = 0; d < TREE.sub; d++) {
      const sub = path.join(dir, 'src', `m${String(m).padStart(2, '0')}`, `d${d}`);
      mkdirSync(sub, { recursive: true });
      dirs++;
      for (let f = 0; f < TREE.files; f++) {
        writeFileSync(path.join(sub, `f${String(f).padStart(2, '0')}.js`), `export const v${m}_${d}_${f} = ${f};\n`);
        files++;
      }
    }
  }
  let nmFiles = 0;
  let nmDirs = 1;
  for (let p = 0; p < TREE.packages; p++) {
    const pkg = path.join(dir, 'node_modules', `pkg-${String(p).padStart(3, '0')}`);
    mkdirSync(path.join(pkg, 'lib'), { recursive: true });
    nmDirs += 2;
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: `pkg-${p}`, version: '1.0.0', main: 'index.js' }));
    writeFileSync(path.join(pkg, 'index.js'), `module.exports = require('./lib/util.js');\n`);
    writeFileSync(path.join(pkg, 'lib', 'util.js'), `module.exports = { n: ${p} };\n`);
    writeFileSync(path.join(pkg, 'README.md'), `# pkg-${p}\n`);
    nmFiles += 4;
  }
  return { files, dirs, nmFiles, nmDirs };
}

async function bigTree(out: string[], dir: string, tree: ReturnType<typeof makeTree>): Promise<void> {
  const load = new Load();
  writeFileSync(path.join(dir, 'server.js'), SERVER_JS('v0'));
  writeFileSync(
    path.join(dir, 'devport.toml'),
    `[[service]]\nname = "watched"\ncommand = ["node", "server.js"]\nwatch = ["src/**/*"]\n\n[[service]]\nname = "plain"\ncommand = ["node", "server.js"]\n`,
  );
  const WINDOW_MS = 30_000;
  const windows = Math.min(3, treeRounds);
  const setup: number[] = [];
  const sinceRecord: number[] = [];
  const setupLoads: number[] = [];
  const per = { watched: { cpu: [] as number[], exact: [] as number[], pss: [] as number[], priv: [] as number[], inotify: [] as number[], loads: [] as number[] }, plain: { cpu: [] as number[], exact: [] as number[], pss: [] as number[], priv: [] as number[], inotify: [] as number[], loads: [] as number[] } };
  let watchedFiles = 0;
  try {
    for (let r = 0; r < treeRounds; r++) {
      projects.add(dir);
      const l = load.sample();
      devport(dir, 'up', '--daemon', '--no-tmux');
      const sc = { watched: row(dir, 'watched').supervisor, plain: row(dir, 'plain').supervisor };
      const m = await until('watching line', () => /\[devport\] watching (\d+) files/.exec(outputLog(dir, 'watched')) ?? undefined, 120_000);
      setup.push(processAgeMs(sc.watched.pid));
      sinceRecord.push(Date.now() - Date.parse(sc.watched.started_at));
      setupLoads.push(l);
      watchedFiles = Number(m[1]);
      if (r < windows) {
        await sleep(15_000); // past the start, as in supervisor.ts: V8's memory reducer has had its first pass
        const pids = [sc.watched.pid, sc.plain.pid];
        const wl = load.sample();
        const cpu = await idleCpu(pids, WINDOW_MS);
        for (const [i, key] of (['watched', 'plain'] as const).entries()) {
          const mem = smaps(pids[i] ?? 0);
          per[key].cpu.push(cpu.ticks[i] ?? NaN);
          per[key].exact.push(cpu.exact[i] ?? NaN);
          per[key].pss.push(mem.pss);
          per[key].priv.push(mem.priv);
          per[key].inotify.push(inotifyWatches(pids[i] ?? 0));
          per[key].loads.push(wl, load.sample());
        }
      }
      devport(dir, 'down');
      projects.delete(dir);
      await sleep(1000);
    }
  } finally {
    spawnSync(process.execPath, [cli, 'down'], { cwd: dir, env, stdio: 'ignore' });
    projects.delete(dir);
  }
  out.push(`### 3. A tree of ${tree.files.toLocaleString('en')} files: one watched service, one not\n`);
  out.push(
    `src/ holds ${tree.files.toLocaleString('en')} files in ${tree.dirs} directories; node_modules/ beside it ${TREE.packages} packages (${tree.nmFiles.toLocaleString('en')} files, ${tree.nmDirs.toLocaleString('en')} directories). \`watched\`: \`watch = ["src/**/*"]\` (it reported \`watching ${watchedFiles} files\`); \`plain\`: the same command, no watch. ${treeRounds} rounds of \`up --daemon --no-tmux\` … \`down\`; in the first ${windows}, 15 s after the \`watching\` line, a ${WINDOW_MS / 1000} s idle window, then memory and inotify watches.\n`,
  );
  out.push(`| sidecar | idle CPU, % of one core: utime+stime (median of ${windows}) | the same by schedstat (ns, all threads) | Pss | Private (clean + dirty) | inotify watches | load (1-min) |`);
  out.push('|---|---|---|---|---|---|---|');
  for (const key of ['watched', 'plain'] as const) {
    const p = per[key];
    out.push(`| ${key} | ${median(p.cpu).toFixed(3)} % (max ${Math.max(...p.cpu).toFixed(3)} %) | ${median(p.exact).toFixed(3)} % | ${median(p.pss).toFixed(1)} MB | ${median(p.priv).toFixed(1)} MB | ${median(p.inotify)} | ${loadRange(p.loads)} |`);
  }
  out.push('');
  const s = stats(setup);
  out.push(
    `Watched sidecar, process start → \`watching ${watchedFiles} files\` in its output.log (subscribe, then glob and hash every file; /proc ages in 10 ms ticks): median ${ms0(s.med)}, p90 ${ms0(s.p90)}, min ${ms0(s.min)}, max ${ms0(s.max)} (${treeRounds} rounds; from its state record's \`started_at\`: ${ms0(median(sinceRecord))}); load (1-min) ${loadRange(setupLoads)}. Target for idle CPU: ≤ 0.5 % of a core (${median(per.watched.cpu) <= 0.5 ? 'met' : '**not met**'}).\n`,
  );
  out.push(`Load: ${load.text()}.\n`);
}

/** A bare Node process with one kind of watcher; JSON lines on stdout: {t0, ready|called, files?} then {ev} per event. */
const HARNESS = `import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const [mode, root, repo, ignoreJson] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const now = () => performance.timeOrigin + performance.now();
let events = 0;
const seen = (p) => events++ < 50 && out({ ev: path.relative(root, p) });
let t0 = now();
if (mode === 'bare') {
  out({ t0, ready: now() });
} else if (mode.startsWith('parcel')) {
  const w = createRequire(path.join(repo, 'package.json'))('@parcel/watcher');
  const ignore = mode === 'parcel-ignore' ? JSON.parse(ignoreJson) : mode === 'parcel-one' ? ['node_modules', '.git', '.devport', '**/{node_modules,.git,.devport}/**'] : [];
  t0 = now();
  await w.subscribe(root, (err, evs) => { for (const e of evs ?? []) seen(e.path); }, { ignore });
  out({ t0, ready: now() });
} else if (mode.startsWith('fswatch')) {
  const dir = mode === 'fswatch-src' ? path.join(root, 'src') : root;
  t0 = now();
  fs.watch(dir, { recursive: true }, (type, name) => seen(path.join(dir, String(name))));
  out({ t0, called: now() });
} else if (mode.startsWith('filewatcher')) {
  const { FileWatcher } = await import(pathToFileURL(path.join(repo, 'dist/cli/lazy/watch.js')).href);
  const patterns = mode === 'filewatcher-src' ? ['src/**/*'] : ['**/*.js'];
  t0 = now();
  const w = new FileWatcher({ cwd: root, patterns, ignore: [], debounceMs: 50 }, (c) => { for (const p of c.paths) seen(path.join(root, p)); });
  const { files } = await w.start();
  out({ t0, ready: now(), files });
}
setInterval(() => {}, 1 << 30);
`;

interface Kind {
  mode: string;
  label: string;
}
const KINDS: Kind[] = [
  { mode: 'bare', label: 'bare Node process (the floor for memory)' },
  { mode: 'parcel-ignore', label: '@parcel/watcher on the project, node_modules ignored (as devport subscribes)' },
  { mode: 'parcel-one', label: '@parcel/watcher on the project, the same ignored by one combined glob `**/{node_modules,.git,.devport}/**`' },
  { mode: 'parcel-all', label: '@parcel/watcher on the project, nothing ignored' },
  { mode: 'fswatch-root', label: '`fs.watch(project, {recursive: true})`' },
  { mode: 'fswatch-src', label: '`fs.watch(project/src, {recursive: true})`' },
  { mode: 'filewatcher-src', label: "devport's FileWatcher, `src/**/*` (subscribe + glob + hash every file)" },
  { mode: 'filewatcher-js', label: "devport's FileWatcher, `**/*.js` at the project root" },
];

async function watcherKinds(out: string[], dir: string, tree: ReturnType<typeof makeTree>): Promise<void> {
  const load = new Load();
  const harness = path.join(tmpRoot, 'harness.mjs');
  writeFileSync(harness, HARNESS);
  // What FileWatcher.start() passes: names (resolved against the root by @parcel/watcher) and one glob per name (nested ones).
  const ignore = JSON.stringify(['node_modules', '.git', '.devport', ...ALWAYS_IGNORED]);
  const WINDOW_MS = 10_000;
  type R = { setup: number[]; inotify: number[]; rss: number[]; rssAbs: number[]; cpu: number[]; nm: boolean[]; src: boolean[]; files: number[]; loads: number[] };
  const res = new Map<string, R>(KINDS.map((k) => [k.mode, { setup: [], inotify: [], rss: [], rssAbs: [], cpu: [], nm: [], src: [], files: [], loads: [] }]));
  for (let r = 0; r < treeRounds; r++) {
    const order = KINDS.map((_, i) => KINDS[(i + r) % KINDS.length] as Kind);
    const kids: { kind: Kind; c: ChildProcess; lines: string[] }[] = [];
    try {
      // One at a time: each sets up while the others, already set up, sit idle.
      for (const kind of order) {
        const l = load.sample();
        const c = spawnGroup(process.execPath, [harness, kind.mode, dir, repo, ignore], { cwd: dir, stdout: 'pipe' });
        const lines: string[] = [];
        let buf = '';
        c.stdout?.on('data', (d: Buffer) => {
          buf += d.toString();
          const parts = buf.split('\n');
          buf = parts.pop() ?? '';
          lines.push(...parts);
        });
        kids.push({ kind, c, lines });
        const first = await until(`${kind.mode} ready`, () => (lines[0] ? (JSON.parse(lines[0]) as { t0: number; ready?: number; called?: number; files?: number }) : undefined), 120_000, 5);
        const pid = c.pid ?? 0;
        let setup: number;
        if (first.ready !== undefined) setup = first.ready - first.t0;
        else {
          // Node 20 walks the tree inside fs.watch() (readdirSync, statSync and a watch per entry:
          // lib/internal/fs/recursive_watch.js), so it is set up when it returns. Checked: no watch is added later.
          const n0 = inotifyWatches(pid);
          await sleep(1000);
          if (inotifyWatches(pid) !== n0) throw new Error(`${kind.mode}: watches were added after fs.watch() returned`);
          setup = (first.called ?? 0) - first.t0;
        }
        const x = res.get(kind.mode) as R;
        x.setup.push(setup);
        x.loads.push(l);
        if (first.files !== undefined) x.files.push(first.files);
      }
      await sleep(20_000); // a Node process's first ~20 s carry start-up garbage collections (0.4 % of a core 8-18 s after start)
      const pids = kids.map((k) => k.c.pid ?? 0);
      const cpu = await idleCpu(pids, WINDOW_MS);
      const bareRss = rssMb(pids[kids.findIndex((k) => k.kind.mode === 'bare')] ?? 0);
      kids.forEach((k, i) => {
        const x = res.get(k.kind.mode) as R;
        x.cpu.push(cpu.exact[i] ?? NaN);
        const rss = rssMb(pids[i] ?? 0);
        x.rssAbs.push(rss);
        x.rss.push(rss - bareRss);
        x.inotify.push(inotifyWatches(pids[i] ?? 0));
      });
      // Which edits each one reports: one in node_modules, one in src.
      const tag = Math.random().toString(36).slice(2, 8);
      writeFileSync(path.join(dir, 'node_modules', 'pkg-007', 'index.js'), `module.exports = require('./lib/util.js'); // ${tag}\n`);
      writeFileSync(path.join(dir, 'src', 'm07', 'd7', 'f07.js'), `export const v7_7_7 = 7; // ${tag}\n`);
      await sleep(1500);
      for (const k of kids) {
        const evs = k.lines.slice(1).map((l) => (JSON.parse(l) as { ev: string }).ev);
        const x = res.get(k.kind.mode) as R;
        x.nm.push(evs.some((e) => e.startsWith('node_modules/')));
        x.src.push(evs.some((e) => e.startsWith('src/')));
      }
    } finally {
      for (const k of kids) await killGroup(k.c);
    }
  }
  out.push('### 4. @parcel/watcher against `fs.watch(dir, {recursive: true})`, same tree\n');
  out.push(
    `Each watcher in its own bare Node process (${process.version}), on the tree of section 3 (src/: ${tree.files.toLocaleString('en')} files, ${tree.dirs} directories; node_modules/: ${tree.nmFiles.toLocaleString('en')} files, ${tree.nmDirs.toLocaleString('en')} directories). ${treeRounds} rounds; in each, the processes set up one after another (rotating order), then, 20 s after the last, a ${WINDOW_MS / 1000} s idle window for all (CPU by schedstat: ns, every thread), then one edit in node_modules/ and one in src/. Setup: until \`subscribe()\` / \`start()\` resolves or \`fs.watch()\` returns (Node 20 walks the whole tree inside \`fs.watch()\`: no watch is added after it returns, checked each time). Medians.\n`,
  );
  out.push('| watcher | setup | inotify watches | RSS over a bare Node process | idle CPU over 10 s, % of one core (max) | an edit in node_modules/ reported | an edit in src/ reported | load (1-min) |');
  out.push('|---|---|---|---|---|---|---|---|');
  const yes = (bs: boolean[]) => (bs.every(Boolean) ? 'yes' : bs.some(Boolean) ? `${bs.filter(Boolean).length} of ${bs.length}` : 'no');
  for (const k of KINDS) {
    const x = res.get(k.mode) as R;
    const label = x.files.length > 0 ? `${k.label}: ${median(x.files)} files` : k.label;
    if (k.mode === 'bare') {
      out.push(`| ${label} | — | ${median(x.inotify)} | (${median(x.rssAbs).toFixed(1)} MB RSS) | ${median(x.cpu).toFixed(3)} % (${Math.max(...x.cpu).toFixed(3)} %) | — | — | ${loadRange(x.loads)} |`);
      continue;
    }
    out.push(`| ${label} | ${ms0(median(x.setup))} | ${median(x.inotify)} | +${median(x.rss).toFixed(1)} MB | ${median(x.cpu).toFixed(3)} % (${Math.max(...x.cpu).toFixed(3)} %) | ${yes(x.nm)} | ${yes(x.src)} | ${loadRange(x.loads)} |`);
  }
  out.push('');
  out.push(`Load: ${load.text()}.\n`);
}

// ---- main -----------------------------------------------------------------------------

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
const out: string[] = [`## reload — ${today()}\n`, `${machine()}; \`node --import tsx bench/reload.ts ${process.argv.slice(2).join(' ')}\`\n`];
try {
  if (parts.has('1')) await editToAnswer(out);
  if (parts.has('1b')) await bursts(out);
  if (parts.has('2')) await compiled(out);
  if (parts.has('3') || parts.has('4')) {
    const treeDir = path.join(tmpRoot, 'tree');
    const tree = makeTree(treeDir);
    if (parts.has('3')) await bigTree(out, treeDir, tree);
    if (parts.has('4')) await watcherKinds(out, treeDir, tree);
  }
  console.log(out.join('\n'));
} finally {
  cleanup();
}
