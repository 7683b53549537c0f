// What the request inspector's capture costs the proxy, measured so a busy
// machine does not drown it: the router in process (capture on, then off)
// under wrk, profiled with --cpu-prof; the share of the proxy's busy samples
// spent in capture code (self time) and in the garbage collector.
// Needs wrk. Run: node --import tsx bench/capture-cost.ts [seconds=5] [rounds=3]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, median, today } from './lib.js';

const self = fileURLToPath(import.meta.url);
const mode = process.argv[2];

if (mode === 'on' || mode === 'off') {
  // The child: an upstream, the router, wrk; prints CPU µs per request.
  const { AccessLog } = await import('../src/proxy/access-log.js');
  const { CaptureRing } = await import('../src/proxy/capture.js');
  const { destroyAgents } = await import('../src/proxy/forward.js');
  const { Router } = await import('../src/proxy/router.js');
  const { Upstreams } = await import('../src/proxy/upstreams.js');
  const seconds = Number(process.argv[3] ?? 5);
  // The upstream in a process of its own: the profile and the CPU time are the router's alone.
  const upstream = spawn(process.execPath, ['-e', "require('http').createServer((q, s) => { s.setHeader('content-type', 'text/plain'); s.end('hello world\\n'); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); })"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const upPort = await new Promise<number>((r) => upstream.stdout.once('data', (d: Buffer) => r(Number(d.toString()))));
  const node = { key: 'web', host: '127.0.0.1', proxy: { holdTimeoutMs: 1000, routes: [{ type: 'http', prefix: '/', name: 'up', url: `http://127.0.0.1:${upPort}`, stripPrefix: false, fallthrough: false, changeOrigin: false }] } };
  const router = new Router({ node: node as never, upstreams: new Upstreams({ nodes: [], stateDir: '/nonexistent' } as never, []), log: new AccessLog(() => {}), capture: mode === 'on' ? new CaptureRing(500) : undefined });
  await router.listen('127.0.0.1', 0);
  const port = (router.server.address() as { port: number }).port;
  const wrk = (s: number) =>
    new Promise<string>((resolve) => {
      const w = spawn('wrk', ['-t1', '-c10', `-d${s}s`, `http://127.0.0.1:${port}/`]);
      let out = '';
      w.stdout.on('data', (d: Buffer) => (out += d.toString()));
      w.on('close', () => resolve(out));
    });
  await wrk(1); // warm up
  const c0 = process.cpuUsage();
  const out = await wrk(seconds);
  const c = process.cpuUsage(c0);
  const n = Number(/(\d+) requests in/.exec(out)?.[1]);
  console.log(JSON.stringify({ cpuUs: (c.user + c.system) / n, rps: Number(/Requests\/sec:\s+(\S+)/.exec(out)?.[1]) }));
  await router.close(0);
  destroyAgents();
  upstream.kill();
  process.exit(0);
}

interface ProfNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

/** Shares of busy samples: capture code (self time) and the garbage collector. */
function shares(dir: string): { capture: number; gc: number } {
  const file = readdirSync(dir).map((f) => path.join(dir, f))[0] ?? '';
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfNode[]; samples: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  let busy = 0;
  let capture = 0;
  let gc = 0;
  for (const s of p.samples) {
    const n = byId.get(s);
    const name = n?.callFrame.functionName ?? '';
    if (name === '(idle)' || name === '(program)') continue;
    busy++;
    if (name === '(garbage collector)') gc++;
    else if (/src\/proxy\/(capture|body-tap)\.ts$/.test(n?.callFrame.url ?? '') || /^(upstreamOf|finishCapture|headBlock)$/.test(name)) capture++;
  }
  return { capture: (100 * capture) / busy, gc: (100 * gc) / busy };
}

const seconds = process.argv[2] ?? '5';
const rounds = Number(process.argv[3] ?? 3);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-capture-'));
const results: Record<'on' | 'off', { cpuUs: number; rps: number; capture: number; gc: number }[]> = { on: [], off: [] };
try {
  for (let r = 0; r < rounds; r++) {
    for (const m of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      const dir = path.join(tmp, `${m}-${r}`);
      const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', self, m, seconds], { encoding: 'utf8', cwd: path.dirname(path.dirname(self)) });
      if (run.status !== 0) throw new Error(`${m}: ${run.stderr}`);
      const line = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { cpuUs: number; rps: number };
      results[m].push({ ...line, ...shares(dir) });
    }
  }
  const row = (m: 'on' | 'off', label: string) => {
    const xs = results[m];
    return `| ${label} | ${median(xs.map((x) => x.rps)).toFixed(0)} | ${median(xs.map((x) => x.cpuUs)).toFixed(1)} µs | ${median(xs.map((x) => x.capture)).toFixed(2)} % | ${median(xs.map((x) => x.gc)).toFixed(2)} % |`;
  };
  console.log(
    [
      `## capture-cost — ${today()}\n`,
      `${machine()}; the router in process, an http route to a Node upstream, wrk -t1 -c10, ${seconds} s per run, ${rounds} interleaved rounds, profiled with --cpu-prof (sources run through tsx)\n`,
      '| router | req/s (median) | CPU per request | capture code (self) | garbage collector |',
      '|---|---|---|---|---|',
      row('on', 'capture on (ring of 500)'),
      row('off', 'capture off'),
      '',
      'Shares are of the router process\'s busy samples; "capture code" is the self time of src/proxy/capture.ts, body-tap.ts and the router\'s capture helpers.\n',
    ].join('\n'),
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
