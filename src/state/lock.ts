// The lock that is the truth about liveness: an exclusive, non-blocking
// flock(2) on .devport/<key>/, held by one sidecar for its whole life and
// released by the kernel when it dies, however it dies.
//
// fs-ext gives flock(2) directly. Where its addon cannot load, util-linux
// `flock -o` holds the lock in a helper process that exits when the sidecar's
// end of a pipe closes, so the lock still dies with the sidecar.

import type { ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startMark } from '../util/start-trace.js';

export type LockKind = 'flock' | 'flock-helper';

export interface HeldLock {
  kind: LockKind;
  release(): void;
}

export type LockResult =
  | { ok: true; lock: HeldLock }
  | { ok: false; reason: 'held'; holderPid: number | undefined }
  | { ok: false; reason: 'unavailable'; detail: string };

interface FsExt {
  flockSync(fd: number, flags: 'exnb' | 'un'): void;
}

let fsExt: FsExt | null | undefined;

/** fs-ext, or null when its native addon cannot load (or DEVPORT_LOCK=flock-helper forces the fallback). */
function loadFsExt(): FsExt | null {
  if (fsExt !== undefined) return fsExt;
  if (process.env.DEVPORT_LOCK === 'flock-helper') return (fsExt = null);
  try {
    startMark('fs-ext-loading');
    fsExt = createRequire(import.meta.url)('fs-ext') as FsExt;
    startMark('fs-ext-loaded');
  } catch {
    fsExt = null;
  }
  return fsExt;
}

export function lockKind(): LockKind {
  return loadFsExt() ? 'flock' : 'flock-helper';
}

function isWouldBlock(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}

/** A state dir, never through a symlink (a planted link must not move a lock elsewhere). */
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

function tryFlock(ext: FsExt, dir: string): LockResult {
  let fd: number;
  try {
    fd = openSync(dir, DIR_FLAGS);
  } catch (err: unknown) {
    return { ok: false, reason: 'unavailable', detail: `cannot open ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  try {
    ext.flockSync(fd, 'exnb');
  } catch (err: unknown) {
    closeSync(fd);
    if (isWouldBlock(err)) return { ok: false, reason: 'held', holderPid: lockHolder(dir) };
    return { ok: false, reason: 'unavailable', detail: String(err) };
  }
  return {
    ok: true,
    lock: {
      kind: 'flock',
      release: () => {
        try {
          ext.flockSync(fd, 'un');
          closeSync(fd);
        } catch {
          /* closing the fd releases it anyway */
        }
      },
    },
  };
}

/** child_process is loaded only on the fallback paths: it costs ~6 ms at every sidecar start. */
const childProcess = (): typeof import('node:child_process') => createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');

function tryHelper(dir: string): Promise<LockResult> {
  const { spawn } = childProcess();
  return new Promise((resolve) => {
    let helper: ChildProcess;
    try {
      // -o: the lock fd is closed in the command, so only flock itself holds it;
      // the command lives until our end of its stdin closes (our exit, even SIGKILL).
      helper = spawn('flock', ['-x', '-n', '-o', dir, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
    } catch (err: unknown) {
      resolve({ ok: false, reason: 'unavailable', detail: String(err) });
      return;
    }
    let settled = false;
    const settle = (r: LockResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    helper.once('error', (err) => settle({ ok: false, reason: 'unavailable', detail: `flock: ${err.message}` }));
    helper.stdout?.once('data', () => {
      helper.unref();
      (helper.stdout as unknown as { unref?: () => void }).unref?.();
      (helper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      settle({ ok: true, lock: { kind: 'flock-helper', release: () => helper.stdin?.end() } });
    });
    helper.once('exit', (code) => settle(code === 1 ? { ok: false, reason: 'held', holderPid: lockHolder(dir) } : { ok: false, reason: 'unavailable', detail: `flock exited ${code}` }));
  });
}

/**
 * Takes the lock. A probe (see isLocked) may hold it for a moment, so a held
 * lock is retried briefly before it counts as held.
 */
export async function acquireLock(dir: string, retryMs = 400): Promise<LockResult> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    const ext = loadFsExt();
    const r = ext ? tryFlock(ext, dir) : await tryHelper(dir);
    if (r.ok || r.reason !== 'held' || Date.now() >= deadline) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** pid holding a flock on `dir` per /proc/locks (the helper's pid for the fallback). */
export function lockHolder(dir: string): number | undefined {
  return locksOn(dir)?.[0];
}

/** The pids with a flock on dir (device and inode), or undefined when /proc/locks cannot tell. */
function locksOn(dir: string, procLocks?: string): number[] | undefined {
  let text: string;
  let dev: number;
  let ino: number;
  try {
    ({ dev, ino } = statSync(dir));
    text = procLocks ?? readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  // Linux's dev_t: /proc/locks prints MAJOR:MINOR in hex.
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const pids: number[] = [];
  for (const line of text.split('\n')) {
    if (line.includes('->')) continue; // a waiter, not a holder
    const t = line.trim().split(/\s+/);
    const idx = t.findIndex((x) => x.endsWith(`:${ino}`));
    const id = t[idx]?.split(':');
    if (idx > 0 && id && id.length === 3 && parseInt(id[0] ?? '', 16) === major && parseInt(id[1] ?? '', 16) === minor) pids.push(Number(t[idx - 1]));
  }
  return pids;
}

/**
 * Whether a live sidecar holds `dir`: a non-blocking flock attempt, released at
 * once. A held lock only refuses it (the holder never notices); a free one is
 * taken for microseconds, which a starting sidecar rides out (acquireLock
 * retries). /proc/locks is the fallback without the addon: its first read in a
 * process costs 10-18 ms here (bench/RESULTS.md), three times the addon's load.
 */
export function isLocked(dir: string, procLocks?: string): boolean {
  const ext = loadFsExt();
  if (ext) {
    let fd: number;
    try {
      fd = openSync(dir, DIR_FLAGS);
    } catch {
      return false;
    }
    try {
      ext.flockSync(fd, 'exnb');
      ext.flockSync(fd, 'un');
      return false;
    } catch (err: unknown) {
      return isWouldBlock(err);
    } finally {
      closeSync(fd);
    }
  }
  const holders = locksOn(dir, procLocks);
  if (holders !== undefined) return holders.length > 0;
  return childProcess().spawnSync('flock', ['-x', '-n', dir, 'true']).status === 1;
}

/** Which of `dirs` are locked (reading /proc/locks at most once, on the fallback path). */
export function lockedDirs(dirs: readonly string[]): Set<string> {
  let text: string | undefined;
  if (!loadFsExt()) {
    try {
      text = readFileSync('/proc/locks', 'utf8');
    } catch {
      text = undefined;
    }
  }
  return new Set(dirs.filter((d) => isLocked(d, text)));
}
