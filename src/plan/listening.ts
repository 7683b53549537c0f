// Which TCP ports are listening, and who holds one: from /proc on Linux,
// with a bind probe where /proc/net is not there.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface Listener {
  port: number;
  inode: string;
}

function readProcNet(file: string): Listener[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // local_address is "HEXIP:HEXPORT"; st 0A is LISTEN.
    if (cols.length < 10 || cols[3] !== '0A') continue;
    const port = parseInt(cols[1]?.split(':').pop() ?? '', 16);
    if (Number.isFinite(port)) out.push({ port, inode: cols[9] ?? '' });
  }
  return out;
}

/** Whether something listens on `port` over IPv6; undefined when /proc cannot tell. */
export function listensOnIpv6(port: number): boolean | undefined {
  return readProcNet('/proc/net/tcp6')?.some((l) => l.port === port);
}

/** Listening TCP sockets of this network namespace, or undefined without /proc. */
export function procListeners(): Listener[] | undefined {
  const v4 = readProcNet('/proc/net/tcp');
  const v6 = readProcNet('/proc/net/tcp6');
  if (!v4 && !v6) return undefined;
  return [...(v4 ?? []), ...(v6 ?? [])];
}

export interface PortChecker {
  isListening(port: number): Promise<boolean>;
}

/** A bind probe on both loopback families: what a non-Linux system can tell. */
async function canBind(port: number, host: string): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRINUSE' && err.code !== 'EACCES'));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export function portChecker(): PortChecker {
  const listeners = procListeners();
  if (listeners) {
    const set = new Set(listeners.map((l) => l.port));
    return { isListening: async (port) => set.has(port) };
  }
  return { isListening: async (port) => !(await canBind(port, '127.0.0.1')) };
}

export interface PortHolder {
  pid: number;
  command: string;
}

/** The process holding a listening port, where /proc tells (same user, or root). */
export function findPortHolder(port: number): PortHolder | undefined {
  const inodes = new Set((procListeners() ?? []).filter((l) => l.port === port).map((l) => `socket:[${l.inode}]`));
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!inodes.has(target)) continue;
      let command = '';
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      } catch {
        /* gone */
      }
      return { pid: Number(pid), command: command.length > 80 ? `${command.slice(0, 77)}...` : command };
    }
  }
  return undefined;
}
