// Planning at scale: `devport up --dry-run` (human and --json) of a generated spec
// with 100 / 1,000 / 10,000 services: wall time, peak RSS, and in-process
// where the time goes (load the spec, make the plan, render) and the size of
// plan.json. Medians of interleaved rounds.
// Run: npm run build && node --import tsx bench/plan-scale.ts [rounds] [sizes]
//   e.g. node --import tsx bench/plan-scale.ts 5 100,1000,2000 (a spec holds at most 2,000 services and routes)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPlanHuman } from '../src/plan/render.js';
import { makePlan } from '../src/plan/plan.js';
import { loadSpecText } from '../src/spec/load.js';
import { fmt, machine, median, today } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
const rounds = Number(process.argv[2] ?? 5);
const sizes = (process.argv[3] ?? '100,1000,2000').split(',').map(Number);

/**
 * n nodes: exec services with an http health check, a service env and a dependency, and every
 * 50th a proxy with two exec routes; [env] has entries the same for every node and one per node
 * (${PORT}); an env_file. port_range is wide: 10,000 services do not fit the default 10,000 ports.
 */
function scaleSpec(n: number): string {
  const out = [
    'port_range = [10000, 59999]',
    'env_file = ".env"',
    '[env]',
    'NODE_ENV = "development"',
    'SELF_URL = "http://${HOST}:${PORT}"',
    'FIRST = "${SVC0_URL}/api"',
    '',
  ];
  for (let count = 0, i = 0; count < n; i++) {
    if (count % 50 === 49 && count + 3 <= n) {
      out.push('[[service]]', 'type = "proxy"', `name = "gw${i}"`);
      for (let r = 0; r < 2; r++) out.push('  [[service.routes]]', `  name = "r${r}"`, `  path = "/r${r}/"`, `  command = ["node", "r.js", "\${PORT}", "\${GW${i}_URL}"]`);
      out.push('');
      count += 3;
      continue;
    }
    out.push('[[service]]', `name = "svc${i}"`, `command = ["node", "server.js", "--port", "\${PORT}", "--up", "\${SVC${i % 40}_URL}"]`);
    out.push(`env = { NAME = "svc${i}", UP = "\${SVC${i % 7}_PORT}" }`);
    if (i >= 10) out.push(`depends_on = ["svc${i % 10}"]`);
    out.push('[service.health]', 'type = "http"', 'path = "/healthz"', '');
    count++;
  }
  return out.join('\n');
}

/** Prints the child's peak RSS on stderr as it exits (the CLI ends with process.exit). */
const PRELOAD = `process.on('exit', () => require('node:fs').writeSync(2, '\\nmaxrss=' + process.resourceUsage().maxRSS + '\\n'));`;

interface Run {
  ms: number;
  rssMB: number;
}

function runCli(args: string[], preload: string): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', preload, cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const err = r.stderr.toString();
  const m = /maxrss=(\d+)/.exec(err);
  if (r.status !== 0 || !m) throw new Error(`devport ${args.join(' ')} failed (${r.status}): ${err.slice(0, 2000)}`);
  return { ms, rssMB: Number(m[1]) / 1024 };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-scale-'));
const preload = path.join(work, 'rss.cjs');
writeFileSync(preload, PRELOAD);
try {
  const dirs = new Map<number, string>();
  for (const n of sizes) {
    const dir = path.join(work, `s${n}`);
    spawnSync('mkdir', ['-p', dir]);
    writeFileSync(path.join(dir, 'devport.toml'), scaleSpec(n));
    writeFileSync(path.join(dir, '.env'), 'FROM_FILE=1\nPORT=3000\n');
    dirs.set(n, dir);
  }

  // In process: where the time goes, and the size of plan.json.
  const phases = new Map<number, { load: number[]; plan: number[]; render: number[]; bytes: number; own: number; stack: number }>();
  for (let r = 0; r < rounds; r++) {
    for (const n of sizes) {
      const file = path.join(dirs.get(n) ?? '', 'devport.toml');
      const t0 = performance.now();
      const loaded = loadSpecText(file, readFileSync(file, 'utf8'));
      const t1 = performance.now();
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.failures));
      const planned = await makePlan(loaded.value, { env: process.env });
      const t2 = performance.now();
      if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
      renderPlanHuman(planned.value, { color: false, cwd: work });
      const t3 = performance.now();
      const p = phases.get(n) ?? { load: [], plan: [], render: [], bytes: 0, own: 0, stack: 0 };
      p.load.push(t1 - t0);
      p.plan.push(t2 - t1);
      p.render.push(t3 - t2);
      p.bytes = JSON.stringify(planned.value).length;
      p.own = Math.max(...planned.value.nodes.map((x) => Object.keys(x.ownEnv).length));
      p.stack = Object.keys(planned.value.stackEnv).length;
      phases.set(n, p);
    }
  }

  // The CLI, as a user runs it.
  const human = new Map<number, Run[]>();
  const json = new Map<number, Run[]>();
  for (let r = 0; r < rounds; r++) {
    for (const n of sizes) {
      const dir = dirs.get(n) ?? '';
      human.set(n, [...(human.get(n) ?? []), runCli(['up', '--dry-run', dir], preload)]);
      json.set(n, [...(json.get(n) ?? []), runCli(['up', '--dry-run', '--json', dir], preload)]);
    }
  }

  const mb = (x: number) => `${x.toFixed(0)} MB`;
  console.log(`## plan-scale — ${today()}\n\n${machine()}; ${rounds} interleaved rounds; the spec: \`scaleSpec(n)\` in bench/plan-scale.ts\n`);
  console.log('| services | `up --dry-run` | peak RSS | `up --dry-run --json` | peak RSS |');
  console.log('|---|---|---|---|---|');
  for (const n of sizes) {
    const h = human.get(n) ?? [];
    const j = json.get(n) ?? [];
    console.log(`| ${n.toLocaleString('en')} | ${fmt(median(h.map((x) => x.ms)))} | ${mb(Math.max(...h.map((x) => x.rssMB)))} | ${fmt(median(j.map((x) => x.ms)))} | ${mb(Math.max(...j.map((x) => x.rssMB)))} |`);
  }
  console.log('\nIn process (medians): load the spec, make the plan, render it for people; plan.json size; the largest `ownEnv` of a node.\n');
  console.log('| services | load spec | make plan | render | plan.json | per service | largest ownEnv | stackEnv |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const n of sizes) {
    const p = phases.get(n);
    if (!p) continue;
    console.log(
      `| ${n.toLocaleString('en')} | ${fmt(median(p.load))} | ${fmt(median(p.plan))} | ${fmt(median(p.render))} | ${(p.bytes / 1024).toFixed(0)} KiB | ${(p.bytes / n).toFixed(0)} B | ${p.own} entries | ${p.stack} entries |`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
