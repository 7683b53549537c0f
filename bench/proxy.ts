// Proxy throughput and latency with wrk (1 thread, 10 connections, bounded
// duration), interleaved rounds, for: direct; devport's proxy (a real stack:
// proxy sidecar + exec upstream) with the request inspector's capture on (the
// default, 500) and a second stack with `capture = false`; http-proxy-3 with default options; a minimal
// hand-written http.request pipe with a keep-alive agent; nginx (1 worker,
// keep-alive upstream). Then a WebSocket echo round trip, direct vs devport.
// Needs wrk and nginx (apt-get install wrk nginx-light).
// Run: npm run build && node --import tsx bench/proxy.ts [rounds=3] [seconds=5]

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { machine, median, today } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'devport.js');
const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'devport-bench-proxy-'));
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TMUX_TMPDIR: tmp };
delete env.TMUX;
const kids: ChildProcess[] = [];
const projects: string[] = [];
const startKid = (cmd: string, args: string[], extraEnv: Record<string, string> = {}) => {
  const k = spawn(cmd, args, { stdio: 'ignore', env: { ...env, ...extraEnv } });
  kids.push(k);
  return k;
};

const UPSTREAM = `
const http = require('http');
const { WebSocketServer } = require(${JSON.stringify(path.join(repo, 'node_modules', 'ws'))});
const server = http.createServer((q, s) => { s.setHeader('content-type', 'text/plain'); s.end('hello world\\n'); });
new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
server.listen(Number(process.env.PORT), '127.0.0.1');
`;

const HP3 = `
const http = require('http');
const { createProxyServer } = require(${JSON.stringify(path.join(repo, 'node_modules', 'http-proxy-3'))});
const p = createProxyServer({ target: 'http://127.0.0.1:' + process.env.UP });
p.on('error', () => {});
http.createServer((q, s) => p.web(q, s)).listen(Number(process.env.PORT), '127.0.0.1');
`;

const PIPE = `
const http = require('http');
const agent = new http.Agent({ keepAlive: true });
http.createServer((q, s) => {
  const u = http.request({ host: '127.0.0.1', port: Number(process.env.UP), method: q.method, path: q.url, headers: q.headers, agent }, (r) => {
    s.writeHead(r.statusCode, r.headers);
    r.pipe(s);
  });
  u.on('error', () => s.destroy());
  q.pipe(u);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

function nginxConf(port: number, up: number): string {
  return `worker_processes 1;
pid ${tmp}/nginx.pid;
error_log ${tmp}/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${tmp}/nginx-body;
  proxy_temp_path ${tmp}/nginx-proxy;
  upstream up { server 127.0.0.1:${up}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
}

interface Wrk {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** CPU µs of the proxy's process per request, where measured. */
  cpuUs?: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function wrk(url: string, secs: number): Wrk {
  const r = spawnSync('wrk', ['-t1', '-c10', `-d${secs}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(r.stdout)?.[1] ?? '');
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(r.stdout)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? NaN);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  if (errors) throw new Error(`${url}: ${errors[0]}`);
  return { rps, p50, p99, requests };
}

async function untilAnswers(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await sleep(50);
  }
  throw new Error(`${url} never answered`);
}

async function wsRtt(url: string, n: number): Promise<number[]> {
  const ws = new WebSocket(url);
  await new Promise<void>((r, j) => (ws.once('open', () => r()), ws.once('error', j)));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((r) => {
      ws.once('message', () => r());
      ws.send('x'.repeat(32));
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ws.close();
  return times.slice(100); // the first round trips warm up
}

const out: string[] = [`## proxy — ${today()}\n`, `${machine()}; wrk ${spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]?.split(' ').slice(0, 2).join(' ')} -t1 -c10, ${seconds} s per run, ${rounds} interleaved rounds; a 12-byte response\n`];
try {
  // devport: a real stack; the upstream is an exec route of the proxy. Twice: capture on (the default) and off.
  const stack = (name: string, extra: string) => {
    const proj = path.join(tmp, name);
    mkdirSync(proj);
    writeFileSync(path.join(proj, 'upstream.js'), UPSTREAM);
    writeFileSync(
      path.join(proj, 'devport.toml'),
      `[[service]]\ntype = "proxy"\nname = "web"\n${extra}  [[service.routes]]\n  name = "up"\n  path = "/"\n  command = ["node", "upstream.js"]\n`,
    );
    const upr = spawnSync(process.execPath, [cli, 'up', '--daemon', '--no-tmux'], { cwd: proj, env, encoding: 'utf8' });
    if (upr.status !== 0) throw new Error(`devport up failed: ${upr.stdout}${upr.stderr}`);
    projects.push(proj);
    const file = (k: string) => JSON.parse(readFileSync(path.join(proj, '.devport', k, 'state.json'), 'utf8')) as { state: { port: number }; supervisor: { pid: number } };
    return { port: (k: string) => file(k).state.port, pid: (k: string) => file(k).supervisor.pid };
  };
  const on = stack('proj', '');
  const off = stack('proj-off', 'capture = false\n');
  const upPort = on.port('web_up');
  const devportPort = on.port('web');
  const offPort = off.port('web');
  // The proxy runs inline in its sidecar: its CPU time per request is the cost of proxying (and capturing),
  // steadier than req/s on a shared machine.
  const sidecarPid = new Map([
    ['devport proxy, capture on (500)', on.pid('web')],
    ['devport proxy, capture off', off.pid('web')],
  ]);
  const cpuTicks = (pid: number) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(f[11]) + Number(f[12]);
  };

  const ports = { hp3: upPort + 101, pipe: upPort + 102, nginx: upPort + 103 };
  startKid(process.execPath, ['-e', HP3], { PORT: String(ports.hp3), UP: String(upPort) });
  startKid(process.execPath, ['-e', PIPE], { PORT: String(ports.pipe), UP: String(upPort) });
  for (const d of ['nginx-body', 'nginx-proxy']) mkdirSync(path.join(tmp, d));
  writeFileSync(path.join(tmp, 'nginx.conf'), nginxConf(ports.nginx, upPort));
  const ng = spawnSync('nginx', ['-c', path.join(tmp, 'nginx.conf'), '-p', tmp]);
  if (ng.status !== 0) throw new Error(`nginx: ${ng.stderr}`);

  const targets: [string, string][] = [
    ['direct', `http://127.0.0.1:${upPort}/`],
    ['devport proxy, capture on (500)', `http://127.0.0.1:${devportPort}/`],
    ['devport proxy, capture off', `http://127.0.0.1:${offPort}/`],
    ['http-proxy-3, default options', `http://127.0.0.1:${ports.hp3}/`],
    ['hand-written pipe, keep-alive agent', `http://127.0.0.1:${ports.pipe}/`],
    ['nginx, 1 worker, keep-alive upstream', `http://127.0.0.1:${ports.nginx}/`],
  ];
  for (const [, url] of targets) {
    await untilAnswers(url);
    wrk(url, 1); // warm up: JIT, keep-alive pools
  }
  const results = new Map<string, Wrk[]>(targets.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length] as [string, string]);
    for (const [name, url] of order) {
      const pid = sidecarPid.get(name);
      const t0 = pid === undefined ? 0 : cpuTicks(pid);
      const w = wrk(url, seconds);
      if (pid !== undefined) w.cpuUs = ((cpuTicks(pid) - t0) * (1e6 / 100)) / w.requests;
      results.get(name)?.push(w);
    }
  }
  const direct = results.get('direct') ?? [];
  const dRps = median(direct.map((w) => w.rps));
  const dP99 = median(direct.map((w) => w.p99));
  out.push('| target | req/s (median) | × direct | p50 | p99 | p99 added over direct | proxy CPU per request |');
  out.push('|---|---|---|---|---|---|---|');
  for (const [name] of targets) {
    const ws = results.get(name) ?? [];
    const rps = median(ws.map((w) => w.rps));
    const p99 = median(ws.map((w) => w.p99));
    const cpu = ws.every((w) => w.cpuUs !== undefined) ? `${median(ws.map((w) => w.cpuUs ?? 0)).toFixed(1)} µs` : '—';
    out.push(`| ${name} | ${rps.toFixed(0)} | ${(rps / dRps).toFixed(2)}× | ${median(ws.map((w) => w.p50)).toFixed(2)} ms | ${p99.toFixed(2)} ms | ${name === 'direct' ? '—' : `${(p99 - dP99).toFixed(2)} ms`} | ${cpu} |`);
  }
  out.push('');
  out.push('Targets: devport ≥ 0.30× direct (capture on) and ahead of every Node proxy; added p99 ≤ 1.5 ms.\n');

  // WebSocket echo round trip, sequential, direct vs through devport.
  const wsDirect: number[] = [];
  const wsProxy: number[] = [];
  for (let r = 0; r < rounds; r++) {
    wsDirect.push(median(await wsRtt(`ws://127.0.0.1:${upPort}/`, 2100)));
    wsProxy.push(median(await wsRtt(`ws://127.0.0.1:${devportPort}/`, 2100)));
  }
  out.push('| WebSocket echo, 32 bytes, 2000 sequential round trips | median RTT |');
  out.push('|---|---|');
  out.push(`| direct | ${median(wsDirect).toFixed(3)} ms |`);
  out.push(`| through devport's proxy | ${median(wsProxy).toFixed(3)} ms |`);
  out.push(`| added by the proxy | ${(median(wsProxy) - median(wsDirect)).toFixed(3)} ms (target ≤ 0.2 ms) |`);
  console.log(out.join('\n'));
} finally {
  for (const proj of projects) spawnSync(process.execPath, [cli, 'down'], { cwd: proj, env });
  spawnSync('nginx', ['-c', path.join(tmp, 'nginx.conf'), '-p', tmp, '-s', 'stop']);
  for (const k of kids) k.kill();
  await sleep(300);
  rmSync(tmp, { recursive: true, force: true });
}
