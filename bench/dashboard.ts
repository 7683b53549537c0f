// The dashboard node's costs and reflex, with a real stack (`up --dashboard`):
//  - idle memory (PSS, private) of the dashboard's sidecar beside an exec
//    service's sidecar of the same stack, with nobody looking and with a page's
//    three streams open (state, logs, requests); idle CPU over the window
//  - state change → /api/stream arrival: each transition of a restarted service,
//    timed from the sidecar's own `since` stamp, and beside a direct subscriber
//    to that sidecar's rpc.sock /events (the floor the dashboard relays)
// Run: npm run build && node --import tsx bench/dashboard.ts [restarts=40] [idleSeconds=20]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rpcEvents, rpcRequest } from '../src/rpc/client.js';
import type { StreamFrame } from '../src/dashboard/types.js';
import type { StateFile } from '../src/state/types.js';
import { fmt, machine, median, percentile, today } from './lib.js';
import { frameData, sseFrames } from '../src/rpc/sse.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
const restarts = Number(process.argv[2] ?? 40);
const idleSeconds = Number(process.argv[3] ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function smaps(pid: number): { pss: number; priv: number } {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { pss: kb('Pss') / 1024, priv: (kb('Private_Clean') + kb('Private_Dirty')) / 1024 };
}

function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const stateOf = (dir: string, key: string) => JSON.parse(readFileSync(path.join(dir, '.devport', key, 'state.json'), 'utf8')) as StateFile;

/** An SSE client of the dashboard: calls `on` per frame until aborted. */
function sse(port: number, token: string, p: string, on: (data: string) => void, signal: AbortSignal): void {
  const req = http.get({ host: '127.0.0.1', port, path: p, headers: { authorization: `Bearer ${token}` }, agent: false, signal }, (res) => {
    res.setEncoding('utf8');
    res.on(
      'data',
      sseFrames((frame) => {
        if (frame.startsWith('data: ')) on(frameData(frame));
      }),
    );
  });
  req.on('error', () => {});
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-dashboard-'));
  const out: string[] = [];
  try {
    writeFileSync(
      path.join(dir, 'devport.toml'),
      `dashboard = true
[[service]]
name = "api"
command = ["node", "-e", "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"]
  [service.health]
  interval = "20ms"
  settle = "0ms"

[[service]]
type = "proxy"
name = "web"
  [[service.routes]]
  path = "/"
  type = "http"
  url = "http://127.0.0.1:\${API_PORT}"
`,
    );
    const up = spawnSync(process.execPath, [cli, 'up', '--daemon', '--no-tmux'], { cwd: dir, encoding: 'utf8' });
    if (up.status !== 0) throw new Error(`up failed: ${up.stdout}${up.stderr}`);
    const url = new URL(spawnSync(process.execPath, [cli, 'dashboard', '--url'], { cwd: dir, encoding: 'utf8' }).stdout.trim());
    const port = Number(url.port);
    const token = url.searchParams.get('token') ?? '';
    const dashPid = stateOf(dir, '_dashboard').supervisor.pid;
    const apiPid = stateOf(dir, 'api').supervisor.pid;
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

    // Idle, nobody looking; then idle with a page's three streams open.
    const idle = async (label: string) => {
      await sleep(2000);
      const c0 = cpuTicks(dashPid);
      const a0 = cpuTicks(apiPid);
      await sleep(idleSeconds * 1000);
      const pct = (t: number) => (t / hz / idleSeconds) * 100;
      return { label, dash: smaps(dashPid), api: smaps(apiPid), cpu: pct(cpuTicks(dashPid) - c0), apiCpu: pct(cpuTicks(apiPid) - a0) };
    };
    const alone = await idle('nobody looking');
    const page = new AbortController();
    for (const p of ['/api/stream', '/api/logs', '/api/requests/stream']) sse(port, token, p, () => {}, page.signal);
    const watched = await idle("a page's 3 streams open");
    page.abort();

    // State change → SSE arrival, beside the sidecar's own /events stream.
    const apiDir = path.join(dir, '.devport', 'api');
    const direct = new Map<string, number>();
    const viaDashboard = new Map<string, number>();
    const sinceOf = new Map<string, number>();
    const ctl = new AbortController();
    void rpcEvents(apiDir, (s) => direct.set(`${s.state.generation}:${s.state.state}`, performance.now()), ctl.signal).catch(() => {});
    sse(
      port,
      token,
      '/api/stream',
      (data) => {
        const f = JSON.parse(data) as StreamFrame;
        if (f.kind !== 'node' || f.node.key !== 'api') return;
        const k = `${f.node.generation}:${f.node.state}`;
        if (viaDashboard.has(k)) return;
        viaDashboard.set(k, performance.now());
        // The sidecar's stamp of the transition (ms): arrival minus it, in wall-clock terms.
        if (f.node.since) sinceOf.set(k, Date.now() - Date.parse(f.node.since));
      },
      ctl.signal,
    );
    await sleep(300);
    for (let i = 0; i < restarts; i++) {
      const gen = stateOf(dir, 'api').state.generation;
      await rpcRequest(apiDir, 'POST', '/restart');
      const end = Date.now() + 10_000;
      while (!viaDashboard.has(`${gen + 1}:healthy`) && Date.now() < end) await sleep(5);
      await sleep(50);
    }
    ctl.abort();
    const fromSince = [...sinceOf.values()];
    const overDirect = [...viaDashboard].flatMap(([k, t]) => (direct.has(k) ? [t - (direct.get(k) ?? t)] : []));

    out.push(`## dashboard — ${today()}`, '', `${machine()}; ${restarts} restarts of one service (${fromSince.length} transitions), idle windows of ${idleSeconds} s`, '');
    out.push('| measure | median | p90 | max | target |', '|---|---|---|---|---|');
    out.push(`| state change → /api/stream arrival (from the sidecar's \`since\` stamp, ms resolution) | ${fmt(median(fromSince))} | ${fmt(percentile(fromSince, 90))} | ${fmt(Math.max(...fromSince))} | ≤ 50 ms median |`);
    out.push(`| arrival via the dashboard − arrival at a direct subscriber to the sidecar's rpc.sock /events (both in the bench process) | ${fmt(median(overDirect))} | ${fmt(percentile(overDirect, 90))} | ${fmt(Math.max(...overDirect))} | — |`);
    out.push('', '| idle | dashboard sidecar PSS / private | exec sidecar (same stack) PSS / private | CPU: dashboard / exec sidecar |', '|---|---|---|---|');
    for (const r of [alone, watched]) {
      out.push(`| ${r.label} | ${r.dash.pss.toFixed(1)} MB / ${r.dash.priv.toFixed(1)} MB | ${r.api.pss.toFixed(1)} MB / ${r.api.priv.toFixed(1)} MB | ${r.cpu.toFixed(2)} % / ${r.apiCpu.toFixed(2)} % of a core |`);
    }
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    spawnSync(process.execPath, [cli, 'down'], { cwd: dir, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
