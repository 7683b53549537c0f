// Shared by the benchmarks: timing, statistics, machine description.

import { execSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  let kernel = '';
  try {
    kernel = execSync('uname -r', { encoding: 'utf8' }).trim();
  } catch {
    /* not unix */
  }
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${kernel}, node ${process.version}`;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** Polls `fn` every `every` ms until it returns something (a throw counts as not yet: a file mid-write). */
export async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000, every = 2): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch {
      /* not there yet */
    }
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** The trivial service every start benchmark runs: an HTTP server on $PORT. */
export const SERVER = `require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');\n`;

/** The tmux floor's sidecar: spawn the service, pass signals on, exit with it; nothing else. */
export const MINI_SIDECAR = `// the smallest sidecar: spawn the service, pass signals on, exit with it
const { spawn } = require('child_process');
const [cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: 'inherit', env: process.env });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(sig, () => child.kill(sig));
}
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  process.exit(code ?? 1);
});
`;

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}
