// One health probe of each kind. A probe never throws: it answers ok or not,
// with a detail a person can act on.

import net from 'node:net';
import { childProcess, nodeHttps } from '../util/builtin.js';
import { listensOnIpv6 } from '../plan/listening.js';
import type { PlanHealth } from '../plan/types.js';

export interface ProbeResult {
  ok: boolean;
  detail: string;
  /** Nothing listened on the port at any address probed (each refused the connection, or /proc showed no listener). */
  free?: boolean;
}

export interface ProbeContext {
  port: number | null;
  host: string;
  env: Record<string, string>;
  cwd: string;
  /** The child's pid while it runs. */
  childPid: () => number | null;
  spawnedAt: () => number;
}

/**
 * One probe connection: settles once, on the first of `talk`'s answer, an error,
 * the timeout or an abort, and always destroys the socket. An error is a short word.
 */
function probeSocket<T>(host: string, port: number, timeoutMs: number, signal: AbortSignal, talk: (sock: net.Socket, done: (r: T | string) => void) => void): Promise<T | string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (r: T | string) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = () => done('aborted');
    const timer = setTimeout(() => done(`no answer in ${timeoutMs} ms`), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message)));
    talk(sock, done);
  });
}

/** null when the port accepts, else why not. */
async function tcpConnect(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<string | null> {
  const r = await probeSocket<true>(host, port, timeoutMs, signal, (sock, done) => sock.once('connect', () => done(true)));
  return r === true ? null : r;
}

/** Loopback over IPv4 and IPv6 (a server bound only to ::1 is healthy), and the bind host if it is another address. */
export function tcpTargets(host: string): string[] {
  const wildcard = host === '' || host === '0.0.0.0' || host === '::' || host === 'localhost';
  return [...new Set([...(wildcard ? [] : [host]), '127.0.0.1', '::1'])];
}

/** The address that answered last: tried first next time, so an idle probe opens one socket. */
let lastOpen: string | undefined;
let lastV6Check = 0;

/**
 * Tries the targets in order, stopping at the first that accepts. In order,
 * not at once, and "::1" only when /proc says something listens there: the
 * first connect to an IPv6 address costs ~20 ms of CPU (Node compiles its
 * IPv6 regex), which ten sidecars starting together would all pay.
 */
async function probeTcp(ctx: ProbeContext, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  if (ctx.port === null) return { ok: false, detail: 'tcp health needs a port' };
  const port = ctx.port;
  const all = tcpTargets(ctx.host);
  const targets = lastOpen !== undefined && all.includes(lastOpen) ? [lastOpen, ...all.filter((h) => h !== lastOpen)] : all;
  let firstErr: string | undefined;
  let free = true;
  for (const h of targets) {
    // Nothing listens on IPv6: no connect (and no IPv6 parsing) needed to know. /proc/net/tcp6
    // costs ~1-2 ms to read, so a service that is still starting is checked at most every 100 ms.
    if (h.includes(':')) {
      const now = Date.now();
      if (now - lastV6Check < 100 && lastOpen === undefined) {
        free = false;
        continue;
      }
      lastV6Check = now;
      if (listensOnIpv6(port) === false) continue;
    }
    const err = await tcpConnect(h, port, timeoutMs, signal);
    if (err === null) {
      lastOpen = h;
      return { ok: true, detail: `tcp ${h.includes(':') ? `[${h}]` : h}:${port} open` };
    }
    if (err !== 'connection refused') free = false;
    firstErr ??= err;
    if (signal.aborted) {
      free = false;
      break;
    }
  }
  return { ok: false, detail: `tcp :${port}: ${firstErr ?? 'not open'}`, free };
}

/** One GET over a raw socket, reading only the status line: no agent, no parser, no DNS for localhost. */
function httpStatus(host: string, port: number, target: string, hostHeader: string, timeoutMs: number, signal: AbortSignal): Promise<number | string> {
  return probeSocket<number>(host, port, timeoutMs, signal, (sock, done) => {
    let head = '';
    sock.setEncoding('latin1');
    sock.once('connect', () => sock.write(`GET ${target} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: devport-health\r\nAccept: */*\r\nConnection: close\r\n\r\n`));
    sock.on('data', (d: string) => {
      head += d;
      if (head.indexOf('\r\n') === -1 && head.length < 1024) return;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      done(m ? Number(m[1]) : 'not an HTTP response');
    });
    sock.once('end', () => done(head === '' ? 'connection closed without a response' : 'not an HTTP response'));
  });
}

async function probeHttp(url: string, expect: number[] | null, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, detail: `invalid health url ${url}` };
  }
  const judge = (status: number): ProbeResult => {
    const ok = expect ? expect.includes(status) : status >= 200 && status < 400;
    return { ok, detail: `GET ${url} → ${status}${ok ? '' : expect ? ` (expected ${expect.join(' or ')})` : ''}` };
  };
  if (u.protocol === 'https:') return probeHttps(u, url, judge, timeoutMs, signal);
  const port = Number(u.port || 80);
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  const hosts = hostname === 'localhost' ? ['127.0.0.1', '::1'] : [hostname];
  let last: string = 'not reachable';
  for (const h of hosts) {
    const r = await httpStatus(h, port, `${u.pathname}${u.search}`, u.host, timeoutMs, signal);
    if (typeof r === 'number') return judge(r);
    last = r;
    if (r !== 'connection refused') break;
  }
  return { ok: false, detail: `GET ${url}: ${last}`, free: last === 'connection refused' };
}

/** https health is rare in development; it takes the full client. */
async function probeHttps(u: URL, url: string, judge: (s: number) => ProbeResult, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  const https = nodeHttps();
  return new Promise((resolve) => {
    const req = https.get(u, { timeout: timeoutMs, signal, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      resolve(judge(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, detail: `GET ${url}: ${e.code ?? e.message}` }));
  });
}

async function probeCmd(argv: string[], ctx: ProbeContext, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  // Loaded on first use: most sidecars never run a command probe (child_process costs ~6 ms to load).
  const { spawn } = childProcess();
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) return resolve({ ok: false, detail: 'cmd health has no command' });
    let out = '';
    const child = spawn(file, args, { cwd: ctx.cwd, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'], signal, timeout: timeoutMs, killSignal: 'SIGKILL' });
    const keep = (d: Buffer) => (out = (out + d.toString()).slice(-2000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, detail: `${file}: ${e.code === 'ENOENT' ? 'command not found' : e.message}` }));
    child.once('close', (code, sig) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0) resolve({ ok: true, detail: `${file} exited 0` });
      else resolve({ ok: false, detail: `${file} ${sig ? `killed by ${sig}${sig === 'SIGKILL' ? ` (over ${timeoutMs} ms)` : ''}` : `exited ${code}`}${last ? `: ${last}` : ''}` });
    });
  });
}

export async function probe(h: PlanHealth, ctx: ProbeContext, signal: AbortSignal): Promise<ProbeResult> {
  switch (h.type) {
    case 'tcp':
      return probeTcp(ctx, h.probeTimeoutMs, signal);
    case 'http':
      return probeHttp(h.url ?? `http://localhost:${ctx.port ?? 0}/`, h.expectStatus, h.probeTimeoutMs, signal);
    case 'cmd':
      return probeCmd(h.command ?? [], ctx, h.probeTimeoutMs, signal);
    case 'process': {
      const pid = ctx.childPid();
      if (pid === null) return { ok: false, detail: 'process not running' };
      const alive = Date.now() - ctx.spawnedAt();
      if (alive < h.settleMs) return { ok: false, detail: `process alive for ${alive} ms (settles at ${h.settleMs} ms)` };
      return { ok: true, detail: `process ${pid} alive` };
    }
    case 'none':
      return { ok: true, detail: 'no health check' };
    default: {
      const never: never = h.type;
      return never;
    }
  }
}
