// The sidecar's costs and reflexes, with real processes:
//  - idle private memory (Private_Dirty, PSS from smaps_rollup) of 10 sidecars, and idle CPU over a window
//  - crash detection: SIGKILL the child → state.json says so
//  - restart to healthy: POST /restart → state.json says healthy
//  - a child writing 50 MB with nobody attached: detached, and in an unattached tmux pane
// Run: npm run build && node --import tsx bench/supervisor.ts [idleSeconds=60]

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rpcRequest } from '../src/rpc/client.js';
import type { StateFile } from '../src/state/types.js';
import { fmt, machine, median, percentile, today, until } from './lib.js';
import { writePlan } from './plan-file.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
/** What `up` starts: the sidecar's own entry when the build has one. */
const sidecarEntry = existsSync(path.join(repo, 'dist', 'cli', 'sidecar.cjs')) ? path.join(repo, 'dist', 'cli', 'sidecar.cjs') : cli;
const idleSeconds = Number(process.argv[2] ?? 60);
const SIDECAR_ENV = { MALLOC_ARENA_MAX: '1' }; // what `up` gives its sidecars

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stateOf = (dir: string, key: string) => JSON.parse(readFileSync(path.join(dir, '.devport', key, 'state.json'), 'utf8')) as StateFile;

function smaps(pid: number): { privateDirty: number; pss: number } {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { privateDirty: kb('Private_Dirty') / 1024, pss: kb('Pss') / 1024 };
}

function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function startSidecar(dir: string, planFile: string, key: string): ChildProcess {
  return spawn(process.execPath, [sidecarEntry, '_supervise', '--key', key, '--plan', planFile], {
    cwd: dir,
    env: { ...process.env, ...SIDECAR_ENV },
    stdio: 'ignore',
    detached: true,
  });
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
}

const HTTP = `require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')`;

async function idle(out: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-sv-'));
  const n = 10;
  const spec = Array.from({ length: n }, (_, i) => `[[service]]\nname = "s${i}"\ncommand = ["node", "-e", ${JSON.stringify(HTTP)}]\n`).join('\n');
  const planFile = await writePlan(dir, spec);
  const kids = Array.from({ length: n }, (_, i) => startSidecar(dir, planFile, `s${i}`));
  try {
    await until('all healthy', () => (Array.from({ length: n }, (_, i) => stateOf(dir, `s${i}`).state.state).every((s) => s === 'healthy') ? true : undefined));
    await sleep(15_000); // past start-up: V8's memory reducer has had its first pass
    const pids = kids.map((k) => k.pid ?? 0);
    const m0 = pids.map(smaps);
    const t0 = pids.map(cpuTicks);
    const w0 = Date.now();
    await sleep(idleSeconds * 1000);
    const ticks = pids.map((p, i) => cpuTicks(p) - (t0[i] ?? 0));
    const secs = (Date.now() - w0) / 1000;
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const cpu = ticks.map((t) => (t / hz / secs) * 100);
    const m1 = pids.map(smaps);
    const nodeFloor = await idleNodeFloor();
    out.push(`### Idle sidecars (${n} services with tcp health, 15 s after healthy, then a ${idleSeconds} s window)\n`);
    out.push('| measure | median | max | target |');
    out.push('|---|---|---|---|');
    out.push(`| Private_Dirty at start of window | ${median(m0.map((m) => m.privateDirty)).toFixed(1)} MB | ${Math.max(...m0.map((m) => m.privateDirty)).toFixed(1)} MB | ≤ 9 MB |`);
    out.push(`| Private_Dirty at end of window | ${median(m1.map((m) => m.privateDirty)).toFixed(1)} MB | ${Math.max(...m1.map((m) => m.privateDirty)).toFixed(1)} MB | ≤ 9 MB |`);
    out.push(`| PSS (${n} sidecars running) | ${median(m1.map((m) => m.pss)).toFixed(1)} MB | ${Math.max(...m1.map((m) => m.pss)).toFixed(1)} MB | — |`);
    out.push(`| CPU over the window | ${median(cpu).toFixed(3)} % | ${Math.max(...cpu).toFixed(3)} % | ≤ 0.5 % of a core |`);
    out.push(`| idle \`node\` (floor), Private_Dirty / PSS | ${nodeFloor.privateDirty.toFixed(1)} MB / ${nodeFloor.pss.toFixed(1)} MB | | |`);
    out.push('');
  } finally {
    await stopAll(kids);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function idleNodeFloor(): Promise<{ privateDirty: number; pss: number }> {
  const k = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(2000);
  const m = smaps(k.pid ?? 0);
  k.kill();
  return m;
}

async function reflexes(out: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-sv-'));
  const planFile = await writePlan(dir, `[[service]]\nname = "api"\ncommand = ["node", "-e", ${JSON.stringify(HTTP)}]\n[service.health]\ninterval = "20ms"\n`);
  const kid = startSidecar(dir, planFile, 'api');
  const sdir = path.join(dir, '.devport', 'api');
  const detect: number[] = [];
  const restart: number[] = [];
  try {
    await until('healthy', () => (stateOf(dir, 'api').state.state === 'healthy' ? true : undefined));
    for (let i = 0; i < 20; i++) {
      const s = stateOf(dir, 'api');
      const pid = s.state.pid ?? 0;
      // Crash detection: from SIGKILL to state.json saying the child is gone (watched with inotify).
      const seen = new Promise<number>((resolve) => {
        const w = watch(sdir, () => {
          try {
            const now = stateOf(dir, 'api').state;
            if (now.pid !== pid) {
              const t = performance.now();
              w.close();
              resolve(t);
            }
          } catch {
            /* mid-rename */
          }
        });
      });
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      detect.push((await seen) - t0);
      await until('backoff', () => (['backoff', 'crashloop'].includes(stateOf(dir, 'api').state.state) ? true : undefined));
      // Restart to healthy: POST /restart (cuts the backoff) → healthy again.
      const t1 = performance.now();
      await rpcRequest(sdir, 'POST', '/restart');
      await until('healthy again', () => {
        const st = stateOf(dir, 'api').state;
        return st.state === 'healthy' && st.pid !== pid ? true : undefined;
      }, 10_000, 1);
      restart.push(performance.now() - t1);
    }
    out.push('### Reflexes (20 trials)\n');
    out.push('| measure | median | p90 | max | target |');
    out.push('|---|---|---|---|---|');
    out.push(`| crash detected (SIGKILL child → state.json) | ${fmt(median(detect))} | ${fmt(percentile(detect, 90))} | ${fmt(Math.max(...detect))} | ≤ 50 ms |`);
    out.push(`| restart → healthy (node http server, 20 ms probe interval) | ${fmt(median(restart))} | ${fmt(percentile(restart, 90))} | ${fmt(Math.max(...restart))} | — |`);
    out.push('');
  } finally {
    await stopAll([kid]);
    rmSync(dir, { recursive: true, force: true });
  }
}

// The child times its own 50 MB of writes: if devport ever stopped reading, this is where it would show.
const WRITER = `const chunk = Buffer.alloc(64 * 1024, 120); const t0 = process.hrtime.bigint(); let n = 0;
function go() { while (n < 800) { n++; if (!process.stdout.write(chunk)) return process.stdout.once('drain', go); }
  const line = '\\nWROTE ' + (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1) + '\\n';
  process.stderr.write(line); process.stdout.write(line, () => { if (process.env.EXIT_AFTER) process.exit(0); }); setInterval(() => {}, 1000); }
go();`;

async function burst(out: string[]): Promise<void> {
  const rows: string[] = [];
  // Floor: the same writer into a pipe drained by cat.
  const floor: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync('sh', ['-c', 'node -e "$W" | cat >/dev/null'], { env: { ...process.env, W: WRITER, EXIT_AFTER: '1' }, encoding: 'utf8', timeout: 60_000 });
    floor.push(Number(/WROTE ([\d.]+)/.exec(r.stderr)?.[1] ?? NaN));
  }
  for (const mode of ['detached (--no-tmux)', 'tmux pane, nobody attached'] as const) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-sv-'));
    const planFile = await writePlan(dir, `[[service]]\nname = "w"\ncommand = ["node", "-e", ${JSON.stringify(WRITER)}]\nno_port = true\n`);
    const log = path.join(dir, '.devport', 'w', 'output.log');
    let kid: ChildProcess | undefined;
    const sock = `devport-bench-${process.pid}`;
    const times: number[] = [];
    let maxRss = 0;
    let maxRpc = 0;
    try {
      if (mode.startsWith('tmux')) {
        spawnSync('tmux', ['-L', sock, 'new-session', '-d', '-x', '200', '-y', '50', '-e', 'MALLOC_ARENA_MAX=1', process.execPath, cli, '_supervise', '--key', 'w', '--plan', planFile], { cwd: dir });
      } else {
        kid = startSidecar(dir, planFile, 'w');
      }
      const sidecarPid = await until('sidecar', () => stateOf(dir, 'w').supervisor.pid);
      const done = until('WROTE', () => {
        const m = /WROTE ([\d.]+)/.exec(readFileSync(log, 'latin1').slice(-200));
        return m ? Number(m[1]) : undefined;
      }, 120_000, 20);
      // The sidecar stays responsive during the burst.
      let busy = true;
      const probeLoop = (async () => {
        while (busy) {
          const t = performance.now();
          try {
            await rpcRequest(path.join(dir, '.devport', 'w'), 'GET', '/state', 5000);
            maxRpc = Math.max(maxRpc, performance.now() - t);
          } catch {
            /* not up yet */
          }
          try {
            maxRss = Math.max(maxRss, Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${sidecarPid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
          } catch {
            /* gone */
          }
          await sleep(25);
        }
      })();
      times.push(await done);
      busy = false;
      await probeLoop;
      rows.push(`| ${mode} | ${fmt(times[0] ?? 0)} | ${maxRss.toFixed(1)} MB | ${fmt(maxRpc)} |`);
    } finally {
      if (kid) await stopAll([kid]);
      spawnSync('tmux', ['-L', sock, 'kill-server']);
      await sleep(300);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  out.push('### A child writing 50 MB, nobody watching\n');
  out.push(`The child times its own writes (800 × 64 KiB); the floor is the same child writing into a pipe to \`cat >/dev/null\`: ${fmt(median(floor))}.\n`);
  out.push('| where the sidecar runs | child\'s 50 MB write time | sidecar max RSS | slowest GET /state during the burst |');
  out.push('|---|---|---|---|');
  out.push(...rows);
  out.push('');
}

const out: string[] = [`## supervisor — ${today()}\n`, `${machine()}\n`];
await reflexes(out);
await burst(out);
await idle(out);
console.log(out.join('\n'));
