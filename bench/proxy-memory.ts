// The proxy sidecar's memory: a stack of one proxy with one exec route; private memory
// and PSS (smaps_rollup) 10 s after `up --daemon`, then 10 s after 200 requests through it.
// Run: npm run build && node --import tsx bench/proxy-memory.ts [runs=3]
// DEVPORT_CLI=<other checkout>/dist/cli/devport.js measures another build.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, SERVER, today } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.DEVPORT_CLI ?? path.join(repo, 'dist', 'cli', 'devport.js');
const runs = Number(process.argv[2] ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-pxmem-'));
const tmuxTmp = mkdtempSync(path.join(os.tmpdir(), 'dpx-'));
const env: NodeJS.ProcessEnv = { ...process.env, TMUX_TMPDIR: tmuxTmp, NO_COLOR: '1' };
delete env.TMUX;
writeFileSync(path.join(dir, 'server.js'), SERVER);
writeFileSync(path.join(dir, 'devport.toml'), `[[service]]\ntype = "proxy"\nname = "web"\n  [[service.routes]]\n  name = "api"\n  path = "/api/"\n  command = ["node", "server.js"]\n`);

function memory(pid: number): string {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const priv = [...t.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
  const pss = Number(/^Pss:\s+(\d+)/m.exec(t)?.[1] ?? 0);
  return `${(priv / 1024).toFixed(1)} MB private, ${(pss / 1024).toFixed(1)} MB PSS`;
}

const rows: string[] = [];
spawnSync('tmux', ['new-session', '-d', '-s', 'keepalive', 'sleep', '100000'], { env });
try {
  for (let r = 0; r < runs; r++) {
    const up = spawnSync(process.execPath, [cli, 'up', '--daemon'], { cwd: dir, env, encoding: 'utf8' });
    if (up.status !== 0) throw new Error(`up failed: ${up.stdout}${up.stderr}`);
    const st = JSON.parse(readFileSync(path.join(dir, '.devport', 'web', 'state.json'), 'utf8')) as { supervisor: { pid: number }; state: { port: number } };
    await sleep(10_000);
    const idle = memory(st.supervisor.pid);
    for (let i = 0; i < 200; i++) await (await fetch(`http://127.0.0.1:${st.state.port}/api/x`)).text();
    await sleep(10_000);
    rows.push(`| ${r + 1} | ${idle} | ${memory(st.supervisor.pid)} |`);
    spawnSync(process.execPath, [cli, 'down'], { cwd: dir, env });
  }
} finally {
  spawnSync('tmux', ['kill-server'], { env });
  rmSync(dir, { recursive: true, force: true });
  rmSync(tmuxTmp, { recursive: true, force: true });
}
console.log([`## proxy-memory — ${today()}\n`, `${machine()}; ${cli}\n`, '| run | 10 s after up, no request yet | 10 s after 200 requests |', '|---|---|---|', ...rows].join('\n'));
