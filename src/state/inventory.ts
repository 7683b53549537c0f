// The registry is the set of state directories: what is there, which are alive,
// and what cannot be trusted (a symlink, a corrupt or forged state.json) — the
// last are reported, never skipped and never acted on blindly.

import path from 'node:path';
import { scanStateDir, untrustedDir } from './dirs.js';
import { isLocked, lockedDirs } from './lock.js';
import { readState, type StateRead } from './read.js';
import type { StateFile } from './types.js';

export interface Entry {
  key: string;
  dir: string;
  /** A sidecar holds the lock (false for a dir devport cannot trust). */
  alive: boolean;
  /** The last state.json, when there is a valid one. */
  state: StateFile | undefined;
  /** Why this entry cannot be trusted (the dir, or its state.json); undefined when it can. */
  problem: string | undefined;
}

function entryOf(key: string, dir: string, dirProblem: string | undefined, read: StateRead | undefined, alive: boolean): Entry {
  const problem = dirProblem !== undefined ? `.devport/${key} ${dirProblem}` : read?.kind === 'invalid' ? read.reason : undefined;
  return { key, dir, alive, state: read?.kind === 'ok' ? read.file : undefined, problem };
}

export function readEntry(stateDir: string, key: string): Entry {
  const dir = path.join(stateDir, key);
  const why = untrustedDir(dir);
  if (why !== undefined) return entryOf(key, dir, why === 'cannot be read (ENOENT)' ? undefined : why, undefined, false);
  const read = readState(dir);
  return entryOf(key, dir, undefined, read, isLocked(dir));
}

export function inventory(stateDir: string): Entry[] {
  const found = scanStateDir(stateDir);
  // States first, then locks (read once): a sidecar locks before it writes, so
  // a state without a lock is a dead sidecar, not one starting in between.
  const reads = found.map((e) => (e.problem === undefined ? readState(path.join(stateDir, e.key)) : undefined));
  const live = lockedDirs(found.filter((e) => e.problem === undefined).map((e) => path.join(stateDir, e.key)));
  return found.map((e, i) => {
    const dir = path.join(stateDir, e.key);
    return entryOf(e.key, dir, e.problem, reads[i], live.has(dir));
  });
}
