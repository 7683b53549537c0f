// Two `devport up --daemon` of one stack started at the same instant, N times:
// exactly one must win every time, the other must answer ALREADY_RUNNING at
// once, and the winner's stack must be intact. Prints a Markdown section.
// Run: npm run build && node --import tsx bench/concurrent-up.ts [trials]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, median, percentile, today } from './lib.js';

const cli = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), 'dist', 'cli', 'devport.js');
const trials = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-race-'));
const server = (name: string) => `["node", "-e", "require('http').createServer((q, s) => s.end('${name}')).listen(process.env.PORT, '127.0.0.1')"]`;
writeFileSync(path.join(dir, 'devport.toml'), `[[service]]\nname = "a"\ncommand = ${server('a')}\n\n[[service]]\nname = "b"\ncommand = ${server('b')}\ndepends_on = ["a"]\n`);

function run(args: string[]): Promise<{ code: number | null; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stderr, ms: performance.now() - t0 }));
  });
}

const loserMs: number[] = [];
let ok = 0;
const problems: string[] = [];
try {
  for (let i = 0; i < trials; i++) {
    const [x, y] = await Promise.all([run(['up', '--daemon', '--no-tmux']), run(['up', '--daemon', '--no-tmux'])]);
    const winners = [x, y].filter((r) => r.code === 0);
    const losers = [x, y].filter((r) => r.code !== 0);
    const ls = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [cli, 'ls'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => resolve(out));
    });
    const lines = ls.trim().split('\n').map((l) => JSON.parse(l) as { alive: boolean; state: { state: string; port: number } | null });
    const intact = lines.length === 2 && lines.every((l) => l.alive && l.state?.state === 'healthy');
    let answers = 0;
    for (const l of lines) if (l.state && (await fetch(`http://127.0.0.1:${l.state.port}/`).then((r) => r.ok).catch(() => false))) answers++;
    const loser = losers[0];
    if (winners.length === 1 && loser && /ALREADY_RUNNING/.test(loser.stderr) && intact && answers === 2) ok++;
    else problems.push(`trial ${i + 1}: winners ${winners.length}, loser: ${loser?.stderr.split('\n')[0] ?? '-'}, intact ${intact}, answering ${answers}`);
    if (loser) loserMs.push(loser.ms);
    await run(['down']);
  }
} finally {
  await run(['down']);
  rmSync(dir, { recursive: true, force: true });
}

process.stdout.write(`## concurrent-up — ${today()}

${machine()}; ${trials} trials of two \`up --daemon\` (2 services, no tmux) started together.

| trials | exactly one won, the other said ALREADY_RUNNING, winner intact | loser answered in (median / p95 / max) |
|---|---|---|
| ${trials} | ${ok} of ${trials} | ${median(loserMs).toFixed(0)} / ${percentile(loserMs, 95).toFixed(0)} / ${Math.max(...loserMs).toFixed(0)} ms |
${problems.length ? `\nProblems:\n${problems.map((p) => `- ${p}`).join('\n')}\n` : ''}`);
