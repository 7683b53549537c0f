// One `up` at a time per stack: an flock on .devport/ itself, held while an
// `up` plans, launches and waits (a reconcile too), and for a foreground up's
// whole run. A second `up` is answered at once; beside a foreground up it is
// told that the foreground applies edits to the spec by itself.

import { unlinkSync } from 'node:fs';
import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import { writeFileAtomic } from '../state/atomic.js';
import { ensureStateDir } from '../state/dirs.js';
import { acquireLock, type HeldLock } from '../state/lock.js';
import { readStat } from '../sys/procfs.js';
import { readRegularFile } from '../util/read-file.js';

/** Which `up` runs in the foreground (its pid): only for the hint of a second `up`. */
const FOREGROUND_FILE = 'foreground.json';

function foregroundPid(stateDir: string): number | undefined {
  const r = readRegularFile(path.join(stateDir, FOREGROUND_FILE), { maxBytes: 4096, noFollow: true });
  if (!r.ok) return undefined;
  try {
    const pid = (JSON.parse(r.text) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the lock's holder is the foreground `up` (or, with the fallback lock, its flock helper's parent). */
function heldByForeground(stateDir: string, holder: number | undefined): boolean {
  const fg = foregroundPid(stateDir);
  if (fg === undefined || holder === undefined) return false;
  return holder === fg || readStat(holder)?.ppid === fg;
}

export async function lockStack(stateDir: string): Promise<HeldLock> {
  ensureStateDir(stateDir);
  const r = await acquireLock(stateDir, 0);
  if (r.ok) return r.lock;
  if (r.reason === 'held') {
    const pid = r.holderPid ? ` (pid ${r.holderPid})` : '';
    if (heldByForeground(stateDir, r.holderPid)) {
      throw new UserError([
        failure('ALREADY_RUNNING', `\`devport up\`${pid} runs this stack in the foreground`, {
          hint: 'it applies edits to devport.toml and its env files by itself (press r there to restart from scratch); to run another way, stop it first (q or Ctrl-C there)',
        }),
      ]);
    }
    throw new UserError([
      failure('ALREADY_RUNNING', `another \`devport up\`${pid} is starting or changing this stack`, {
        hint: 'wait for it, then run `devport up` again (it applies what changed); or stop it (Ctrl-C there, or `devport down`)',
      }),
    ]);
  }
  throw new Error(`cannot lock ${stateDir}: ${r.detail}`);
}

/**
 * The stack lock for `start` (and `restart` of a dead service): like `up`'s, except that a
 * foreground `up` holding it for its whole run does not stop them (it is not launching then;
 * `docker compose start` works beside an attached `up` too). Null: go on without the lock.
 */
export async function lockStackForStart(stateDir: string): Promise<HeldLock | null> {
  ensureStateDir(stateDir);
  const r = await acquireLock(stateDir, 0);
  if (r.ok) return r.lock;
  if (r.reason === 'held' && heldByForeground(stateDir, r.holderPid)) return null;
  return lockStack(stateDir);
}

/** Says this process is the foreground `up` until the returned function is called. */
export function markForeground(stateDir: string): () => void {
  const file = path.join(stateDir, FOREGROUND_FILE);
  writeFileAtomic(file, JSON.stringify({ pid: process.pid }) + '\n', 0o600);
  return () => {
    try {
      unlinkSync(file);
    } catch {
      /* already gone (rm -rf .devport) */
    }
  };
}
