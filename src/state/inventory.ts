// The registry is the set of state directories: what is there, and which are alive.

import path from 'node:path';
import { readJson } from './atomic.js';
import { listServiceDirs, STATE_FILE } from './dirs.js';
import { isLocked } from './lock.js';
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
  return { key, dir, alive: isLocked(dir), state: readJson<StateFile>(path.join(dir, STATE_FILE)) };
}

export function inventory(stateDir: string): Entry[] {
  return listServiceDirs(stateDir).map((key) => readEntry(stateDir, key));
}
