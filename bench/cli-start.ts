// Wall time of `devport --version` and `devport up --dry-run` (quickstart)
// beside `node -e 0`, the floor: interleaved rounds, medians, deltas.
// Run: npm run build && node --import tsx bench/cli-start.ts [rounds]

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, machine, median, percentile, today } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
const rounds = Number(process.argv[2] ?? 40);

const cases: [string, string[]][] = [
  ['node -e 0 (floor)', ['-e', '0']],
  ['devport --version', [cli, '--version']],
  ['devport up --dry-run (quickstart)', [cli, 'up', '--dry-run', path.join(repo, 'examples', 'quickstart')]],
  ['devport up --dry-run --json (quickstart)', [cli, 'up', '--dry-run', '--json', path.join(repo, 'examples', 'quickstart')]],
];

const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let r = 0; r < rounds + 3; r++) {
  for (const [name, args] of cases) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`${name} failed: ${res.stderr.toString()}`);
    if (r >= 3) times.get(name)?.push(ms); // the first rounds warm the page cache
  }
}

const floor = median(times.get(cases[0]?.[0] ?? '') ?? []);
console.log(`## cli-start — ${today()}\n\n${machine()}; ${rounds} interleaved rounds\n`);
console.log('| command | median | p90 | over the floor |');
console.log('|---|---|---|---|');
for (const [name] of cases) {
  const xs = times.get(name) ?? [];
  console.log(`| ${name} | ${fmt(median(xs))} | ${fmt(percentile(xs, 90))} | ${name.includes('floor') ? '—' : `+${fmt(median(xs) - floor)}`} |`);
}
