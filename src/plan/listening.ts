// Which TCP ports are listening, and who holds one: from /proc on Linux,
// with a bind probe where /proc/net is not there.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface Listener {
  port: number;
  inode: string;
}

/** TCP state codes of /proc/net/tcp: 0A LISTEN, 06 TIME_WAIT. */
const LISTEN = '0A';
const TIME_WAIT = '06';

function readProcNet(file: string, states: 'listen' | 'bound' = 'listen'): Listener[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // local_address is "HEXIP:HEXPORT". "bound": any socket but TIME_WAIT holds its local port
    // (an outgoing connection's ephemeral port makes listen() on it fail with EADDRINUSE).
    if (cols.length < 10 || (states === 'listen' ? cols[3] !== LISTEN : cols[3] === TIME_WAIT)) continue;
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
  /** A socket holds the port (listening, or an outgoing connection's local port): listen() on it would fail. */
  inUse(port: number): Promise<boolean>;
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
  const v4 = readProcNet('/proc/net/tcp', 'bound');
  const v6 = readProcNet('/proc/net/tcp6', 'bound');
  if (v4 || v6) {
    const set = new Set([...(v4 ?? []), ...(v6 ?? [])].map((l) => l.port));
    return { inUse: async (port) => set.has(port) };
  }
  return { inUse: async (port) => !(await canBind(port, '127.0.0.1')) };
}

export interface PortHolder {
  pid: number;
  command: string;
  /** /proc start time of the holder. */
  start: number | null;
}

/** The `socket:[inode]` links of the sockets listening on `port`; undefined without /proc. */
export function listenerInodes(port: number): Set<string> | undefined {
  const all = procListeners();
  if (!all) return undefined;
  return new Set(all.filter((l) => l.port === port).map((l) => `socket:[${l.inode}]`));
}

/** Whether `pid` has one of `inodes` among its open files. */
export function holdsSocket(pid: number, inodes: ReadonlySet<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
    } catch {
      /* closed meanwhile */
    }
  }
  return false;
}

function commandOf(pid: number): string {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return command.length > 80 ? `${command.slice(0, 77)}...` : command;
  } catch {
    return '';
  }
}

function startOf(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

/** The process holding a listening port, where /proc tells (same user, or root). */
export function findPortHolder(port: number): PortHolder | undefined {
  const inodes = listenerInodes(port);
  if (!inodes || inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (holdsSocket(Number(pid), inodes)) return { pid: Number(pid), command: commandOf(Number(pid)), start: startOf(Number(pid)) };
  }
  return undefined;
}
