// What /proc tells about processes: start times (to tell a reused pid from
// ours), parents, groups, sessions, and environments.

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** Start time in clock ticks after boot: with the pid, a process's identity. */
  start: number;
}

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: split after the last ')'.
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  return { pid, state: f[0] ?? '?', ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), start: Number(f[19]) };
}

/** Alive and not a zombie. */
export function isRunning(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

/** The same process as recorded (pid not reused), still running. A missing start time proves nothing: false. */
export function isSameProcess(pid: number, start: number | null): boolean {
  if (start === null || !Number.isSafeInteger(pid) || pid <= 0) return false;
  const s = readStat(pid);
  if (!s || s.state === 'Z' || s.state === 'X') return false;
  return s.start === start;
}

/**
 * Processes devport must never signal, whatever a file says: pid 0 and 1, this
 * process and every ancestor (the shell, the terminal, tmux, an agent).
 */
export function protectedPids(): Set<number> {
  const out = new Set([0, 1, process.pid]);
  for (let pid = process.ppid, hops = 0; pid > 1 && hops < 256 && !out.has(pid); hops++) {
    out.add(pid);
    const s = readStat(pid);
    if (!s) break;
    pid = s.ppid;
  }
  return out;
}

/** This process's own group: never signalled as a group. */
export function ownPgid(): number {
  return readStat(process.pid)?.pgid ?? process.pid;
}

export function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => d.charCodeAt(0) >= 48 && d.charCodeAt(0) <= 57)
      .map(Number);
  } catch {
    return [];
  }
}

export function readEnviron(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
}

export interface Generation {
  /** The child's process group (the pty makes the child its leader). */
  pgid: number | null;
  /** The child's pid: descendants are found by parent links. */
  pid: number | null;
  /** Env entries every process of the service carries (exact `NAME=value` strings). */
  marker: readonly string[];
  /**
   * Start time (clock ticks after boot) before which no process of the service
   * can have started (its sidecar's own start): older processes are not read.
   */
  notBefore?: number | null;
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux that exposes it to userspace

let bootMs: number | undefined;

/** When a process started (its /proc start ticks) as a wall-clock time, or undefined without /proc/stat. */
export function epochOfTicks(ticks: number): number | undefined {
  if (ticksAt(0) === null || bootMs === undefined || !Number.isFinite(bootMs)) return undefined;
  return bootMs + (ticks / TICKS_PER_SECOND) * 1000;
}

/** A wall-clock time as /proc start ticks (for Generation.notBefore), with a margin for clock slop. */
export function ticksAt(epochMs: number, marginMs = 2000): number | null {
  if (bootMs === undefined) {
    try {
      bootMs = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
    } catch {
      return null;
    }
  }
  if (!Number.isFinite(bootMs)) return null;
  return Math.max(0, Math.floor(((epochMs - marginMs - bootMs) / 1000) * TICKS_PER_SECOND));
}

/**
 * Every live process that belongs to a service's child: its group, its session,
 * its descendants, and anything carrying the service's env marker (which catches
 * a daemon that called setsid and was reparented to init). Never this process
 * or its ancestors.
 */
export function generationProcesses(gen: Generation, exclude: ReadonlySet<number> = protectedPids()): number[] {
  return generationStats(gen, exclude).map((s) => s.pid);
}

/** generationProcesses with each process's stat (its start time tells it apart from a later reuse of its pid). */
export function generationStats(gen: Generation, exclude: ReadonlySet<number> = protectedPids()): ProcStat[] {
  const stats = allPids()
    .map(readStat)
    .filter((s): s is ProcStat => s !== undefined && s.state !== 'Z' && s.state !== 'X' && !exclude.has(s.pid));
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const found = new Set<number>();
  // A group or session id of 0 or 1 is the kernel's or init's: never "the child's group".
  const pgid = gen.pgid !== null && gen.pgid > 1 ? gen.pgid : null;
  if (pgid !== null) for (const s of stats) if (s.pgid === pgid || s.sid === pgid) found.add(s.pid);
  if (gen.pid !== null && gen.pid > 1 && byPid.has(gen.pid)) found.add(gen.pid);
  if (gen.marker.length > 0) {
    const notBefore = gen.notBefore ?? 0;
    for (const s of stats) {
      // Environments are the costly read: only processes young enough to be the service's.
      if (found.has(s.pid) || s.start < notBefore) continue;
      const vars = readEnviron(s.pid)?.split('\0');
      if (vars && gen.marker.every((m) => vars.includes(m))) found.add(s.pid);
    }
  }
  // And every descendant of those, by parent links, to a fixed point.
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const queue = [...found];
  while (queue.length > 0) {
    for (const c of children.get(queue.pop() ?? 0) ?? []) {
      if (!found.has(c)) {
        found.add(c);
        queue.push(c);
      }
    }
  }
  return [...found].flatMap((pid) => byPid.get(pid) ?? []);
}
