// Bringing a stack up and down, against baselines measured in the same run:
//  up --daemon of N trivial HTTP services until it returns healthy, beside
//   (a) a bash script that starts them and polls their ports (the floor),
//   (b) a tmux floor: one window per service running a ~20-line Node sidecar that only spawns it,
//   (c) pm2 with its daemon warm: start + until the ports answer;
//  down until no process of the stack is left; ls with 20 services beside `node -e 0`;
//  the sidecars' total PSS at N = 10.
// Interleaved trials (the order rotates each round), medians and per-trial ratios.
// Run: npm run build && node --import tsx bench/lifecycle.ts [rounds=5]
// LIFECYCLE_SIZES=10,20 picks the stack sizes; DEVPORT_BASELINE=<other checkout>/dist/cli/devport.js adds
// that build as one more method, interleaved: a before/after in one run.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, median, MINI_SIDECAR, SERVER, today } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
const rounds = Number(process.argv[2] ?? 5);
const SIZES = (process.env.LIFECYCLE_SIZES ?? '1,5,10,20').split(',').map(Number);
const baselineCli = process.env.DEVPORT_BASELINE;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Teardown is done when nothing listens any more (pm2's delete returns before its processes exit). */
async function untilPortsClosed(ports: number[], timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const open = await Promise.all(ports.map(canConnect));
    if (!open.some(Boolean)) return;
    if (Date.now() > end) throw new Error(`ports still open: ${ports.filter((_, i) => open[i]).join(',')}`);
    await sleep(10);
  }
}

async function untilPortsAnswer(ports: number[], timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const pending = new Set(ports);
  while (pending.size > 0) {
    await Promise.all([...pending].map(async (p) => (await canConnect(p)) && pending.delete(p)));
    if (pending.size === 0) return;
    if (Date.now() > end) throw new Error(`ports never answered: ${[...pending].join(',')}`);
    await sleep(5);
  }
}

/** Processes whose environment names this bench project (what "left over" means). */
function stackProcesses(dir: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').includes(`DEVPORT_PROJECT_DIR=${dir}`) && !/\) Z /.test(readFileSync(`/proc/${d}/stat`, 'utf8'))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

function ensurePm2(): string {
  const home = path.join(repo, 'bench', '.deps');
  const bin = path.join(home, 'node_modules', '.bin', 'pm2');
  if (!existsSync(bin)) {
    mkdirSync(home, { recursive: true });
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', home, 'pm2@7'], { stdio: 'inherit' });
  }
  return bin;
}

interface Method {
  name: string;
  /** Starts N services; resolves when all answer (or `up` returns healthy). Returns ms. */
  up(n: number): Promise<number>;
  down(): Promise<void>;
}

/**
 * A fresh block of ports no one listens on for each (method, N, round): a stray
 * listener, or a process still letting go of a port, must not fail a trial.
 */
const bases = new Map<string, number>();
let round = 0;
// Below Linux's ephemeral range (32768+): an outgoing connection may hold any port above it.
let nextBase = 10000;
function basePort(method: number, n: number): number {
  const id = `${method}:${n}:${round}`;
  const known = bases.get(id);
  if (known !== undefined) return known;
  const listening = new Set(
    ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) =>
      readFileSync(f, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((c) => c[3] === '0A').map((c) => parseInt(c[1]?.split(':').pop() ?? '0', 16)),
    ),
  );
  for (let base = nextBase; ; base += 40) {
    const block = Array.from({ length: 40 }, (_, i) => base + i);
    if (block.every((p) => !listening.has(p))) {
      bases.set(id, base);
      nextBase = base + 40;
      return base;
    }
  }
}

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-lc-'));
const tmuxTmp = mkdtempSync(path.join(os.tmpdir(), 'dpb-'));
const env: NodeJS.ProcessEnv = { ...process.env, TMUX_TMPDIR: tmuxTmp, NO_COLOR: '1' };
delete env.TMUX;

function bashFloor(): Method {
  const dir = path.join(tmpRoot, 'bash');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'server.js'), SERVER);
  let last: number[] = [];
  writeFileSync(
    path.join(dir, 'up.sh'),
    `#!/usr/bin/env bash
# start N servers, then poll their ports until each accepts
n=$1; base=$2; : > pids
for i in $(seq 0 $((n - 1))); do PORT=$((base + i)) node server.js & echo $! >> pids; done
for i in $(seq 0 $((n - 1))); do until (exec 3<>/dev/tcp/127.0.0.1/$((base + i))) 2>/dev/null; do sleep 0.005; done; done
`,
  );
  return {
    name: 'bash script (floor)',
    async up(n) {
      last = Array.from({ length: n }, (_, i) => basePort(0, n) + i);
      const t0 = performance.now();
      spawnSync('bash', ['up.sh', String(n), String(basePort(0, n))], { cwd: dir, stdio: 'ignore' });
      return performance.now() - t0;
    },
    async down() {
      const pids = readFileSync(path.join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await untilPortsClosed(last);
    },
  };
}

function tmuxFloor(): Method {
  const dir = path.join(tmpRoot, 'tmuxfloor');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'server.js'), SERVER);
  writeFileSync(path.join(dir, 'mini-sidecar.js'), MINI_SIDECAR);
  let last: number[] = [];
  return {
    name: 'tmux + 20-line node sidecar',
    async up(n) {
      const base = basePort(1, n);
      last = Array.from({ length: n }, (_, i) => base + i);
      const t0 = performance.now();
      // One tmux call for all windows, as devport does.
      const args: string[] = [];
      for (let i = 0; i < n; i++) {
        if (i > 0) args.push(';');
        args.push(...(i === 0 ? ['new-session', '-d', '-s', 'floor'] : ['new-window', '-d', '-t', 'floor:']), '-e', `PORT=${base + i}`, '-c', dir, '--', process.execPath, 'mini-sidecar.js', process.execPath, 'server.js');
      }
      spawnSync('tmux', args, { env });
      await untilPortsAnswer(Array.from({ length: n }, (_, i) => base + i));
      return performance.now() - t0;
    },
    async down() {
      // Timed like devport's: until every process of the stack (sidecars, children) is gone.
      const panes = spawnSync('tmux', ['list-panes', '-s', '-t', 'floor', '-F', '#{pane_pid}'], { env, encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
      const pids = descendantsOf(panes);
      const t0 = performance.now();
      spawnSync('tmux', ['kill-session', '-t', 'floor'], { env });
      await untilGone(pids);
      recordDown('tmux + 20-line node sidecar', last.length, performance.now() - t0);
      await untilPortsClosed(last);
    },
  };
}

/** pids and all their descendants, from /proc. */
function descendantsOf(roots: number[]): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) if (out.has(ppid) && !out.has(pid)) (out.add(pid), (grew = true));
  }
  return [...out];
}

const alive = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function untilGone(pids: number[], timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > end) throw new Error('processes still there');
    await sleep(2);
  }
}

const downTimes = new Map<string, Map<number, number[]>>();
function recordDown(method: string, n: number, ms: number): void {
  if (round === 0) return;
  const byN = downTimes.get(method) ?? new Map<number, number[]>();
  downTimes.set(method, byN);
  byN.set(n, [...(byN.get(n) ?? []), ms]);
}

function pm2(): Method {
  const bin = ensurePm2();
  const dir = path.join(tmpRoot, 'pm2');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'server.js'), SERVER);
  const pm2env = { ...env, PM2_HOME: path.join(dir, '.pm2') };
  execFileSync(bin, ['ping'], { env: pm2env, stdio: 'ignore' }); // the daemon, warm
  let last: number[] = [];
  return {
    name: 'pm2 (daemon warm)',
    async up(n) {
      const base = basePort(2, n);
      const apps = Array.from({ length: n }, (_, i) => ({ name: `s${i}`, script: path.join(dir, 'server.js'), env: { PORT: String(base + i) }, autorestart: true }));
      last = apps.map((a) => Number(a.env.PORT));
      writeFileSync(path.join(dir, 'apps.json'), JSON.stringify({ apps }));
      const t0 = performance.now();
      execFileSync(bin, ['start', path.join(dir, 'apps.json')], { env: pm2env, stdio: 'ignore' });
      await untilPortsAnswer(apps.map((a) => Number(a.env.PORT)));
      return performance.now() - t0;
    },
    async down() {
      execFileSync(bin, ['delete', 'all'], { env: pm2env, stdio: 'ignore' });
      await untilPortsClosed(last);
    },
    kill: () => execFileSync(bin, ['kill'], { env: pm2env, stdio: 'ignore' }),
  } as Method & { kill(): void };
}

function devport(bin = cli, name = 'devport up --daemon'): Method & { dir: (n: number) => string; downMs: number[]; leftovers: number[] } {
  const dirs = new Map<number, string>();
  const downMs: number[] = [];
  const leftovers: number[] = [];
  let current = 0;
  const dirOf = (n: number) => {
    let d = dirs.get(n);
    if (!d) {
      d = path.join(tmpRoot, `${bin === cli ? 'devport' : 'baseline'}${n}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, 'server.js'), SERVER);
      dirs.set(n, d);
    }
    const specs = Array.from({ length: n }, (_, i) => `[[service]]\nname = "s${i}"\ncommand = ["node", "server.js"]\n`);
    const method = bin === cli ? 3 : 4;
    writeFileSync(path.join(d, 'devport.toml'), `port_range = [${basePort(method, n)}, ${basePort(method, n) + 39}]\n${specs.join('\n')}`);
    return d;
  };
  return {
    name,
    dir: dirOf,
    downMs,
    leftovers,
    async up(n) {
      current = n;
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [bin, 'up', '--daemon'], { cwd: dirOf(n), env, encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`devport up failed: ${r.stdout}\n${r.stderr}`);
      return ms;
    },
    async down() {
      const dir = dirOf(current);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [bin, 'down'], { cwd: dir, env, encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`devport down failed: ${r.stderr}`);
      leftovers.push(stackProcesses(dir).length);
      recordDown(name, current, ms);
      if (current === 10) downMs.push(ms);
    },
  };
}

const results = new Map<string, Map<number, number[]>>();
const record = (m: string, n: number, ms: number) => {
  const byN = results.get(m) ?? new Map<number, number[]>();
  results.set(m, byN);
  byN.set(n, [...(byN.get(n) ?? []), ms]);
};

// One tmux server for the run, kept alive by an idle session (as on a desk where tmux runs
// anyway): a server exiting with its last session would race the next method's first window.
spawnSync('tmux', ['new-session', '-d', '-s', 'keepalive', 'sleep', '100000'], { env });
const load0 = os.loadavg()[0] ?? 0;
const dp = devport();
const dpBase = baselineCli ? devport(baselineCli, 'devport baseline (before)') : undefined;
const methods: Method[] = [bashFloor(), tmuxFloor(), pm2(), dp, ...(dpBase ? [dpBase] : [])];
try {
  for (let r = 0; r < rounds + 1; r++) {
    round = r;
    for (const n of SIZES) {
      // Rotate who goes first, so no method always runs on a warmer or colder machine.
      const order = methods.map((_, i) => methods[(i + r) % methods.length] as Method);
      for (const m of order) {
        const ms = await m.up(n);
        await m.down();
        if (r > 0) record(m.name, n, ms); // round 0 warms caches
      }
    }
  }

  // ls with 20 services running, beside node -e 0.
  round++;
  await dp.up(20);
  const lsTimes: number[] = [];
  const floorTimes: number[] = [];
  for (let i = 0; i < 30; i++) {
    let t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    floorTimes.push(performance.now() - t0);
    t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'ls'], { cwd: dp.dir(20), env, encoding: 'utf8' });
    lsTimes.push(performance.now() - t0);
    if (r.stdout.trim().split('\n').length !== 20) throw new Error('ls did not list 20 services');
  }
  await dp.down();

  // PSS of the sidecars at N = 10 (idle, 15 s after healthy).
  round++;
  await dp.up(10);
  await sleep(15_000);
  const pss = readdirSync(path.join(dp.dir(10), '.devport'))
    .filter((k) => k.startsWith('s'))
    .map((k) => JSON.parse(readFileSync(path.join(dp.dir(10), '.devport', k, 'state.json'), 'utf8')).supervisor.pid as number)
    .map((pid) => Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024);
  await dp.down();

  const out: string[] = [`## lifecycle — ${today()}\n`, `${machine()}; ${rounds} interleaved rounds (after one warm-up round), trivial node HTTP services; load average ${load0.toFixed(2)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(2)} at the end\n`];
  out.push('### up: until every service answers (median ms)\n');
  out.push(`| N | ${methods.map((m) => m.name).join(' | ')} | devport ÷ tmux floor (median of per-round ratios) | devport ÷ pm2 |`);
  out.push(`|---|${methods.map(() => '---').join('|')}|---|---|`);
  for (const n of SIZES) {
    const get = (name: string) => results.get(name)?.get(n) ?? [];
    const d = get(dp.name);
    const ratio = (other: string) => median(d.map((x, i) => x / (get(other)[i] ?? NaN))).toFixed(2);
    const baseRatio = dpBase ? ` (before: ${median(get(dpBase.name).map((x, i) => x / (get('tmux + 20-line node sidecar')[i] ?? NaN))).toFixed(2)}×)` : '';
    out.push(`| ${n} | ${methods.map((m) => median(get(m.name)).toFixed(0)).join(' | ')} | ${ratio('tmux + 20-line node sidecar')}×${baseRatio} | ${ratio('pm2 (daemon warm)')}× |`);
  }
  out.push('');
  out.push('### down: until every process of the stack is gone (median ms)\n');
  const downers = methods.filter((m) => downTimes.has(m.name));
  out.push(`| N | ${downers.map((m) => m.name).join(' | ')} | devport ÷ tmux floor (median of per-round ratios) |`);
  out.push(`|---|${downers.map(() => '---').join('|')}|---|`);
  for (const n of SIZES) {
    const get = (name: string) => downTimes.get(name)?.get(n) ?? [];
    const d = get(dp.name);
    out.push(`| ${n} | ${downers.map((m) => median(get(m.name)).toFixed(0)).join(' | ')} | ${median(d.map((x, i) => x / (get('tmux + 20-line node sidecar')[i] ?? NaN))).toFixed(2)}× |`);
  }
  out.push('');
  out.push('### down, ls, memory\n');
  out.push('| measure | result | target |');
  out.push('|---|---|---|');
  out.push(`| devport down, N = 10 (median of ${dp.downMs.length}) | ${median(dp.downMs).toFixed(0)} ms | ≤ 150 ms |`);
  if (dpBase) out.push(`| devport down, N = 10, the baseline build (median of ${dpBase.downMs.length}) | ${median(dpBase.downMs).toFixed(0)} ms | |`);
  out.push(`| processes of the stack left after every down (all N, all rounds) | ${Math.max(...dp.leftovers, ...(dpBase?.leftovers ?? []))} | 0 |`);
  out.push(`| devport ls, 20 services (median of 30) | ${median(lsTimes).toFixed(1)} ms | |`);
  out.push(`| node -e 0 (median of 30, interleaved) | ${median(floorTimes).toFixed(1)} ms | |`);
  out.push(`| ls ÷ node -e 0 | ${(median(lsTimes) / median(floorTimes)).toFixed(2)}× | ≤ 1.5× |`);
  out.push(`| sidecar PSS at N = 10: total / per sidecar (median) | ${pss.reduce((a, b) => a + b, 0).toFixed(1)} MB / ${median(pss).toFixed(1)} MB | ≤ 9 MB per sidecar |`);
  console.log(out.join('\n'));
} finally {
  (methods[2] as Method & { kill?: () => void }).kill?.();
  spawnSync('tmux', ['kill-server'], { env });
  rmSync(tmpRoot, { recursive: true, force: true });
  rmSync(tmuxTmp, { recursive: true, force: true });
}
