// Where `up --daemon` of N services spends its time, on one timeline: the `up`
// process's own marks and every sidecar's (DEVPORT_START_TRACE), as ms since the
// benchmark spawned `up`; and the whole machine's CPU (/proc/stat) while `up` ran,
// beside the lifecycle benchmark's tmux floor (tmux + a 20-line Node sidecar) in the
// same run, interleaved.
// Run: npm run build && node --import tsx bench/up-timeline.ts [N=10] [rounds=5]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, median, MINI_SIDECAR, SERVER, today } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.DEVPORT_CLI ?? path.join(repo, 'dist', 'cli', 'devport.js');
const N = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 5);

const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-tl-'));
const tmuxTmp = mkdtempSync(path.join(os.tmpdir(), 'dpt-'));
const trace = path.join(dir, 'trace');
const env: NodeJS.ProcessEnv = { ...process.env, TMUX_TMPDIR: tmuxTmp, NO_COLOR: '1', DEVPORT_START_TRACE: trace };
delete env.TMUX;
writeFileSync(path.join(dir, 'server.js'), SERVER);
writeFileSync(path.join(dir, 'mini-sidecar.js'), MINI_SIDECAR);

/** Busy CPU ms of the whole machine since boot (user + nice + system + irq + softirq). */
function machineCpuMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0);
  return (busy * 1000) / 100; // USER_HZ = 100
}

function freePorts(n: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => resolve(s));
    })),
  ).then((servers) => Promise.all(servers.map((s) => new Promise<number>((resolve) => {
    const p = (s.address() as net.AddressInfo).port;
    s.close(() => resolve(p));
  }))));
}

const answers = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('error', () => resolve(false));
});

async function untilAll(ports: number[], want: boolean): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    const r = await Promise.all(ports.map(answers));
    if (r.every((x) => x === want)) return;
    if (Date.now() > end) throw new Error(`ports never ${want ? 'answered' : 'closed'}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** CPU ms so far of the tmux server and its descendants, by what they run. */
function treeCpu(): Record<string, number> {
  const ticks = (pid: string) => {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return { ppid: f[1] ?? '', cpu: ((Number(f[11]) + Number(f[12])) * 1000) / 100 };
  };
  const procs = new Map<string, { ppid: string; cpu: number; cmd: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      procs.set(d, { ...ticks(d), cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      /* gone */
    }
  }
  const server = tmuxServerPid;
  const out: Record<string, number> = {};
  for (const [pid, p] of procs) {
    let q: string | undefined = pid;
    while (q && q !== server && q !== '1') q = procs.get(q)?.ppid;
    if (q !== server) continue;
    const kind = pid === server ? 'tmux server' : /sidecar/.test(p.cmd) ? 'sidecars' : /server\.js/.test(p.cmd) ? 'children' : 'other';
    out[kind] = (out[kind] ?? 0) + p.cpu;
  }
  return out;
}

const diff = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? 0) - (k === 'tmux server' ? a[k] ?? 0 : 0)]));

function ppidOf(pid: string): string {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ')[1] ?? '';
  } catch {
    return '';
  }
}

function aliveNow(pid: string): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function floorOnce(): Promise<{ wall: number; cpu: number; by: Record<string, number>; downWall: number }> {
  const ports = await freePorts(N);
  const args: string[] = [];
  ports.forEach((p, i) => {
    if (i > 0) args.push(';');
    args.push(...(i === 0 ? ['new-session', '-d', '-s', 'floor'] : ['new-window', '-d', '-t', 'floor:']), '-e', `PORT=${p}`, '-c', dir, '--', process.execPath, 'mini-sidecar.js', process.execPath, 'server.js');
  });
  const b0 = treeCpu();
  const c0 = machineCpuMs();
  const t0 = performance.now();
  spawnSync('tmux', args, { env });
  await untilAll(ports, true);
  const wall = performance.now() - t0;
  const cpu = machineCpuMs() - c0;
  const by = diff(b0, treeCpu());
  const panes = spawnSync('tmux', ['list-panes', '-s', '-t', 'floor', '-F', '#{pane_pid}'], { env, encoding: 'utf8' }).stdout.trim().split('\n');
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && (panes.includes(d) || panes.includes(ppidOf(d))));
  const d0 = performance.now();
  spawnSync('tmux', ['kill-session', '-t', 'floor'], { env });
  while (pids.some(aliveNow)) await new Promise((res) => setTimeout(res, 2));
  const downWall = performance.now() - d0;
  await untilAll(ports, false);
  return { wall, cpu, by, downWall };
}

interface Mark { pid: number; name: string; at: number; cpu: number }

async function devportOnce(): Promise<{ wall: number; cpu: number; marks: Mark[]; t0: number; by: Record<string, number>; downWall: number; downMarks: Mark[] }> {
  const ports = await freePorts(N);
  writeFileSync(path.join(dir, 'devport.toml'), ports.map((p, i) => `[[service]]\nname = "s${i}"\ncommand = ["node", "server.js"]\nport = ${p}\n`).join('\n'));
  writeFileSync(trace, '');
  const b0 = treeCpu();
  const c0 = machineCpuMs();
  const t0 = performance.timeOrigin + performance.now();
  const r = spawnSync(process.execPath, [cli, 'up', '--daemon'], { cwd: dir, env, encoding: 'utf8' });
  const wall = performance.timeOrigin + performance.now() - t0;
  const cpu = machineCpuMs() - c0;
  const by = diff(b0, treeCpu());
  if (r.status !== 0) throw new Error(`up failed: ${r.stdout}${r.stderr}`);
  const marks = readFileSync(trace, 'utf8').trim().split('\n').flatMap((l) => {
    const [pid = '0', name = '', , cpu = '-', at = '0'] = l.split(' ');
    return name.startsWith('node-') ? [] : [{ pid: Number(pid), name, at: Number(at) - t0, cpu: Number(cpu) }];
  });
  const upLines = readFileSync(trace, 'utf8').length;
  const d0 = performance.timeOrigin + performance.now();
  const d = spawnSync(process.execPath, [cli, 'down'], { cwd: dir, env, encoding: 'utf8' });
  const downWall = performance.timeOrigin + performance.now() - d0;
  if (d.status !== 0) throw new Error(`down failed: ${d.stderr}`);
  const downMarks = readFileSync(trace, 'utf8').slice(upLines).trim().split('\n').flatMap((l) => {
    const [pid = '0', name = '', , cpu = '-', at = '0'] = l.split(' ');
    return name === '' || name.startsWith('node-') ? [] : [{ pid: Number(pid), name, at: Number(at) - d0, cpu: Number(cpu) }];
  });
  by['up'] = marks.find((m) => m.name === 'up-ready')?.cpu ?? NaN;
  return { wall, cpu, marks, t0, by, downWall, downMarks };
}

spawnSync('tmux', ['new-session', '-d', '-s', 'keepalive', 'sleep', '100000'], { env });
const tmuxServerPid = spawnSync('tmux', ['display-message', '-p', '#{pid}'], { env, encoding: 'utf8' }).stdout.trim();
const load0 = os.loadavg()[0] ?? 0;
const floor: { wall: number; cpu: number; by: Record<string, number>; downWall: number }[] = [];
const runs: Awaited<ReturnType<typeof devportOnce>>[] = [];
try {
  for (let r = 0; r <= rounds; r++) {
    // Alternate who goes first, so neither always runs on a warmer machine.
    for (const which of r % 2 === 0 ? ['floor', 'devport'] : ['devport', 'floor']) {
      if (which === 'floor') {
        const x = await floorOnce();
        if (r > 0) floor.push(x);
      } else {
        const x = await devportOnce();
        if (r > 0) runs.push(x);
      }
    }
  }
} finally {
  spawnSync('tmux', ['kill-server'], { env });
  rmSync(dir, { recursive: true, force: true });
  rmSync(tmuxTmp, { recursive: true, force: true });
}

const out: string[] = [`## up-timeline — ${today()}\n`, `${machine()}; N = ${N}, ${rounds} interleaved rounds after a warm-up; load average ${load0.toFixed(2)} → ${(os.loadavg()[0] ?? 0).toFixed(2)}\n`];
out.push('| | wall ms | machine CPU ms |', '|---|---|---|');
out.push(`| tmux + 20-line sidecar (floor): until every port answers | ${median(floor.map((x) => x.wall)).toFixed(0)} | ${median(floor.map((x) => x.cpu)).toFixed(0)} |`);
out.push(`| devport up --daemon: until it returns | ${median(runs.map((x) => x.wall)).toFixed(0)} | ${median(runs.map((x) => x.cpu)).toFixed(0)} |`);
const byKinds = (xs: { by: Record<string, number> }[]) => ['up', 'tmux server', 'sidecars', 'children', 'other'].map((k) => `${k} ${median(xs.map((x) => x.by[k] ?? 0)).toFixed(0)}`).join(', ');
out.push('', `CPU ms by process when \`up\` returned / every port answered (medians): devport: ${byKinds(runs)}; floor: ${byKinds(floor)}`);
out.push('', 'Marks, ms since `up` was spawned (medians over rounds; for sidecars, the first / median / last sidecar of a round):\n');
out.push('| mark | first | median | last | CPU of that process so far (median) |', '|---|---|---|---|---|');
const names = [...new Set(runs.flatMap((r) => r.marks.map((m) => m.name)))];
const rows = names.map((name) => {
  const per = runs.map((r) => r.marks.filter((m) => m.name === name).sort((a, b) => a.at - b.at));
  const pick = (f: (xs: Mark[]) => Mark | undefined) => median(per.map((xs) => f(xs)?.at ?? NaN).filter(Number.isFinite));
  return {
    name,
    first: pick((xs) => xs[0]),
    mid: pick((xs) => xs[Math.floor(xs.length / 2)]),
    last: pick((xs) => xs[xs.length - 1]),
    cpu: median(per.flatMap((xs) => xs.map((m) => m.cpu)).filter(Number.isFinite)),
  };
});
for (const r of rows.sort((a, b) => a.mid - b.mid)) out.push(`| ${r.name} | ${r.first.toFixed(0)} | ${r.mid.toFixed(0)} | ${r.last.toFixed(0)} | ${r.cpu.toFixed(1)} |`);
out.push('', `down: devport ${median(runs.map((x) => x.downWall)).toFixed(0)} ms (returns when all is gone); floor (kill-session until every process is gone) ${median(floor.map((x) => x.downWall)).toFixed(0)} ms. Marks, ms since \`down\` was spawned:\n`);
out.push('| mark | first | median | last | CPU of that process so far (median) |', '|---|---|---|---|---|');
const downNames = [...new Set(runs.flatMap((r) => r.downMarks.map((m) => m.name)))];
const downRows = downNames.map((name) => {
  const per = runs.map((r) => r.downMarks.filter((m) => m.name === name).sort((a, b) => a.at - b.at));
  const pick = (f: (xs: Mark[]) => Mark | undefined) => median(per.map((xs) => f(xs)?.at ?? NaN).filter(Number.isFinite));
  return { name, first: pick((xs) => xs[0]), mid: pick((xs) => xs[Math.floor(xs.length / 2)]), last: pick((xs) => xs[xs.length - 1]), cpu: median(per.flatMap((xs) => xs.map((m) => m.cpu)).filter(Number.isFinite)) };
});
for (const r of downRows.sort((a, b) => a.mid - b.mid)) out.push(`| ${r.name} | ${r.first.toFixed(0)} | ${r.mid.toFixed(0)} | ${r.last.toFixed(0)} | ${r.cpu.toFixed(1)} |`);
console.log(out.join('\n'));
