// One sidecar's start, from exec to `healthy`, by phase: the sidecar marks each
// phase (DEVPORT_START_TRACE, src/util/start-trace.ts) with wall and CPU ms since
// its process began. Interleaved with two floors measured in the same run: `node -e 0`
// (exec → exit) and the lifecycle benchmark's 20-line Node sidecar (exec → its child
// answers). Then one run under --cpu-prof, self time by where the code comes from.
// Run: npm run build && node --import tsx bench/sidecar-profile.ts [rounds=15]

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateFile } from '../src/state/types.js';
import { freePort, machine, median, MINI_SIDECAR, SERVER, today, until } from './lib.js';
import { writePlan } from './plan-file.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
/** How a sidecar is started: through the dispatcher (as before), or its own entry (as `up` starts it now). */
const ENTRIES: Record<string, string> = {
  'devport.js': cli, 'sidecar.cjs': path.join(repo, 'dist', 'cli', 'sidecar.cjs'), ...(process.env.SNAP ? { snapshot: process.env.SNAP } : {}),
  // SIDECAR_ENTRIES=name=file,...: other builds' entries, interleaved with these.
  ...Object.fromEntries((process.env.SIDECAR_ENTRIES ?? '').split(',').filter(Boolean).map((x) => x.split('='))),
};
const rounds = Number(process.argv[2] ?? 15);

const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-prof-'));
writeFileSync(path.join(dir, 'server.js'), SERVER);
writeFileSync(path.join(dir, 'mini-sidecar.js'), MINI_SIDECAR);

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function untilAnswers(port: number): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (Date.now() > end) throw new Error(`port ${port} never answered`);
    await new Promise((r) => setTimeout(r, 2));
  }
}


const stateOf = () => JSON.parse(readFileSync(path.join(dir, '.devport', 's', 'state.json'), 'utf8')) as StateFile;

/** exec → healthy in state.json (wall, as the bench sees it), and the sidecar's own marks. */
async function devportOnce(entry: string, extraArgs: string[] = [], holdMs = 0): Promise<{ wall: number; marks: Map<string, { t: number; cpu: number }> }> {
  const planFile = await writePlan(dir, `[[service]]\nname = "s"\ncommand = ["node", "server.js"]\nport = ${await freePort()}\n`);
  const trace = path.join(dir, 'trace.txt');
  rmSync(trace, { force: true });
  const t0 = performance.now();
  const c = spawn(process.execPath, [...extraArgs, ...(entry.endsWith('.blob') ? ['--snapshot-blob', entry] : [entry]), '_supervise', '--key', 's', '--plan', planFile], {
    cwd: dir,
    env: { ...process.env, MALLOC_ARENA_MAX: '1', DEVPORT_START_TRACE: trace },
    stdio: 'ignore',
  });
  await until('healthy', () => (stateOf().state.state === 'healthy' ? true : undefined), 10_000, 1);
  const wall = performance.now() - t0;
  await new Promise((r) => setTimeout(r, holdMs));
  await new Promise<void>((r) => (c.once('exit', () => r()), c.kill('SIGTERM')));
  const marks = new Map<string, { t: number; cpu: number }>();
  for (const line of readFileSync(trace, 'utf8').trim().split('\n')) {
    const [, name = '', t = '0', cpu = '-'] = line.split(' ');
    if (!marks.has(name)) marks.set(name, { t: Number(t), cpu: cpu === '-' ? NaN : Number(cpu) });
  }
  return { wall, marks };
}

async function miniOnce(): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const c = spawn(process.execPath, ['mini-sidecar.js', process.execPath, 'server.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  await untilAnswers(port);
  const ms = performance.now() - t0;
  await new Promise<void>((r) => (c.once('exit', () => r()), c.kill('SIGTERM')));
  return ms;
}

function nodeZero(): { wall: number; cpu: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-e', 'const u = process.cpuUsage(); process.stdout.write(String(u.user + u.system))'], { encoding: 'utf8' });
  return { wall: performance.now() - t0, cpu: Number(r.stdout) / 1000 };
}

const entries = Object.entries(ENTRIES).filter(([, f]) => existsSync(f));
const load0 = os.loadavg()[0] ?? 0;
const runs = new Map<string, Awaited<ReturnType<typeof devportOnce>>[]>(entries.map(([name]) => [name, []]));
const minis: number[] = [];
const zeros: { wall: number; cpu: number }[] = [];
type Trial = () => Promise<void>;
const trials: Trial[] = [
  // The first start runs 2.5 s: long enough for sidecar.cjs to write its code cache.
  ...entries.map(([name, file]): Trial => async () => void runs.get(name)?.push(await devportOnce(file, [], runs.get(name)?.length ? 0 : 2500))),
  async () => void minis.push(await miniOnce()),
  async () => void zeros.push(nodeZero()),
];
for (let r = 0; r < rounds + 1; r++) {
  for (let i = 0; i < trials.length; i++) await trials[(i + r) % trials.length]?.();
  if (r === 0) [...runs.values(), minis, zeros].forEach((xs) => xs.splice(0)); // round 0 warms caches
}
const load1 = os.loadavg()[0] ?? 0;

// One run under the CPU profiler (the entry `up` uses): self time by origin.
const profDir = path.join(dir, 'prof');
const [profName = '', profEntry = cli] = entries.find(([n]) => n === 'sidecar.cjs') ?? entries[0] ?? [];
await devportOnce(profEntry, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=100']);
await until('profile', () => (existsSync(profDir) && readdirSync(profDir).length > 0 ? true : undefined), 10_000);
interface ProfNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
const prof = JSON.parse(readFileSync(path.join(profDir, readdirSync(profDir)[0] ?? ''), 'utf8')) as { nodes: ProfNode[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const origin = (n: ProfNode): string => {
  const { url, functionName } = n.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.includes('node-pty')) return 'node-pty (JS)';
  if (url.includes('fs-ext')) return 'fs-ext (JS)';
  if (url.includes('/dist/cli/')) return `bundle ${path.relative(path.join(repo, 'dist', 'cli'), url.replace('file://', ''))}`;
  if (url.startsWith('node:')) return 'Node internals (node:*)';
  return url;
};
const selfMs = new Map<string, number>();
prof.samples.forEach((id, i) => {
  const n = byId.get(id);
  if (!n) return;
  const k = origin(n);
  selfMs.set(k, (selfMs.get(k) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
});
// KEEP_PROF=dir keeps the .cpuprofile (for DevTools, or a finer breakdown).
if (process.env.KEEP_PROF) cpSync(profDir, process.env.KEEP_PROF, { recursive: true });
rmSync(dir, { recursive: true, force: true });

// ---- report ----
const out: string[] = [
  `## sidecar-profile — ${today()}\n`,
  `${machine()}; ${rounds} interleaved rounds (after one warm-up); load average ${load0.toFixed(2)} → ${load1.toFixed(2)}; one exec service (\`node server.js\`, tcp health), the sidecar started with \`_supervise --plan\` as \`up\` starts it, detached\n`,
];
for (const [name, xs] of runs) {
  const names = [...new Set(xs.flatMap((x) => [...x.marks.keys()]))].sort((a, b) => median(xs.map((x) => x.marks.get(a)?.t ?? NaN).filter(Number.isFinite)) - median(xs.map((x) => x.marks.get(b)?.t ?? NaN).filter(Number.isFinite)));
  const med = (mark: string, k: 't' | 'cpu') => median(xs.map((x) => x.marks.get(mark)?.[k] ?? NaN).filter((v) => Number.isFinite(v)));
  out.push(`Entry \`${name}\` — phase marks (medians of wall and CPU ms since the process began):\n`, '| mark reached | at (wall) | phase wall | CPU so far | phase CPU |', '|---|---|---|---|---|');
  let prevT = 0;
  let prevC = 0;
  for (const n of names) {
    const t = med(n, 't');
    const c = med(n, 'cpu');
    const cs = Number.isFinite(c) ? c.toFixed(1) : '—';
    const dc = Number.isFinite(c) ? (c - prevC).toFixed(1) : '—';
    out.push(`| ${n} | ${t.toFixed(1)} | ${(t - prevT).toFixed(1)} | ${cs} | ${dc} |`);
    prevT = t;
    if (Number.isFinite(c)) prevC = c;
  }
  out.push('');
}
out.push('| exec → ready, as the benchmark sees it (median) | wall |', '|---|---|');
out.push(`| \`node -e 0\` exec → exit (floor) | ${median(zeros.map((z) => z.wall)).toFixed(1)} ms (its own CPU: ${median(zeros.map((z) => z.cpu)).toFixed(1)} ms) |`);
out.push(`| 20-line Node sidecar: exec → its child answers (floor) | ${median(minis).toFixed(1)} ms |`);
for (const [name, xs] of runs) out.push(`| devport sidecar via \`${name}\`: exec → state.json says healthy | ${median(xs.map((x) => x.wall)).toFixed(1)} ms |`);
out.push('');
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
out.push(`CPU profile of one start via \`${profName}\` (--cpu-prof, 100 µs sampling, from after Node's bootstrap to SIGTERM, ${total.toFixed(0)} ms sampled), self time by origin:\n`);
out.push('| origin | self ms |', '|---|---|');
for (const [k, v] of [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, 12)) out.push(`| ${k} | ${v.toFixed(1)} |`);
console.log(out.join('\n'));
