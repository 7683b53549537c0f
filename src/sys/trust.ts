// What devport reads from disk (state.json, tmux) names processes; before any
// of them gets a signal it must prove it is ours: a live pid above 1 that is not
// devport or an ancestor, started when the record says (a pid without a start
// time is never trusted), and marked as this stack's — a child by its env marker,
// a sidecar by its command line. A group is signalled only through a verified
// member of it.

import { readFileSync, readlinkSync } from 'node:fs';
import { protectedPids, readEnviron, readStat } from './procfs.js';

export interface RecordedChild {
  pid: number | null;
  pgid: number | null;
  pid_start: number | null;
}

export interface VerifiedChild {
  pid: number;
  /** The group, only when the verified pid is still in it. */
  pgid: number | null;
}

const isPid = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 1;

/** A recorded child that is still this service's process, or undefined. */
export function verifyChild(rec: RecordedChild, marker: readonly string[]): VerifiedChild | undefined {
  const { pid, pgid, pid_start: start } = rec;
  if (!isPid(pid) || typeof start !== 'number' || protectedPids().has(pid)) return undefined;
  const st = readStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X' || st.start !== start) return undefined;
  const env = readEnviron(pid)?.split('\0');
  if (!env || marker.length === 0 || !marker.every((m) => env.includes(m))) return undefined;
  const group = isPid(pgid) && st.pgid === pgid && !protectedPids().has(pgid) ? pgid : null;
  return { pid, pgid: group };
}

function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is the sidecar of `key` in the state dir `stateDir`: `devport
 * _supervise --key KEY` whose plan is in that dir (or, standalone, whose cwd is
 * the project), started when recorded (when a start time is recorded).
 */
export function isSidecarOf(pid: unknown, key: string, stateDir: string, start?: number | null): pid is number {
  if (!isPid(pid) || protectedPids().has(pid)) return false;
  const st = readStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  if (typeof start === 'number' && st.start !== start) return false;
  const argv = cmdline(pid);
  if (!argv) return false;
  const at = argv.indexOf('_supervise');
  if (at < 0) return false;
  const rest = argv.slice(at + 1);
  const k = rest.indexOf('--key');
  if (k < 0 || rest[k + 1] !== key) return false;
  const p = rest.indexOf('--plan');
  if (p >= 0) return (rest[p + 1] ?? '').startsWith(`${stateDir}/`);
  try {
    return readlinkCwd(pid) === stateDir.replace(/\/\.devport$/, '');
  } catch {
    return false;
  }
}

function readlinkCwd(pid: number): string {
  return readlinkSync(`/proc/${pid}/cwd`);
}

/** Whether `pid` is the util-linux `flock` helper holding the lock on `dir` (the fallback lock). */
export function isLockHelperOf(pid: unknown, dir: string): pid is number {
  if (!isPid(pid) || protectedPids().has(pid)) return false;
  const argv = cmdline(pid);
  return argv !== undefined && /(^|\/)flock$/.test(argv[0] ?? '') && argv.includes(dir);
}
