// The registry is the set of state directories: what is there, and which are alive.

import path from 'node:path';
import { readJson } from './atomic.js';
import { listServiceDirs, STATE_FILE } from './dirs.js';
import { isLocked, lockedDirs } from './lock.js';
import type { StateFile } from './types.js';

export interface Entry {
  key: string;
  dir: string;
  /** A sidecar holds the lock. */
  alive: boolean;
  /** The last state.json (undefined when none was written yet). */
  state: StateFile | undefined;
}

export function readEntry(stateDir: string, key: string): Entry {
  const dir = path.join(stateDir, key);
  const state = readJson<StateFile>(path.join(dir, STATE_FILE));
  return { key, dir, alive: isLocked(dir), state };
}

export function inventory(stateDir: string): Entry[] {
  const keys = listServiceDirs(stateDir);
  // States first, then locks (read once): a sidecar locks before it writes, so
  // a state without a lock is a dead sidecar, not one starting in between.
  const states = keys.map((key) => readJson<StateFile>(path.join(stateDir, key, STATE_FILE)));
  const live = lockedDirs(keys.map((key) => path.join(stateDir, key)));
  return keys.map((key, i) => {
    const dir = path.join(stateDir, key);
    return { key, dir, alive: live.has(dir), state: states[i] };
  });
}
