// The one reader of state.json. A file devport did not necessarily write: only
// a regular file (no FIFO, no symlink), at most STATE_MAX_BYTES, and it must
// match the state schema — otherwise it is reported, never trusted.

import { lstatSync } from 'node:fs';
import path from 'node:path';
import { checkJson } from '../util/json-check.js';
import { readRegularFile } from '../util/read-file.js';
import { STATE_FILE } from './dirs.js';
import { STATE_SCHEMA } from './schema.js';
import type { ServiceRecord, StateFile } from './types.js';

/** A state file is a few KiB; anything near this is not one of ours. */
export const STATE_MAX_BYTES = 256 * 1024;

export type StateRead = { kind: 'ok'; file: StateFile } | { kind: 'missing' } | { kind: 'invalid'; reason: string };

/**
 * The last read of each state.json, by the file's identity. A sidecar writes by rename (a new
 * inode each time), and any other write moves ctime: an unchanged identity is an unchanged file,
 * so a reader that looks often (up's wait, the proxy, the dashboard) parses and checks each
 * version once. The kept value is frozen: callers share it.
 */
const cache = new Map<string, { id: string; read: StateRead }>();

/**
 * A file changed this recently is not kept: timestamps may be as coarse as a clock tick, so a
 * second same-size write in place within one could keep its identity (git's "racy" entries).
 */
export const STATE_CACHE_SETTLE_MS = 50;

function identity(file: string): { id: string; settled: boolean } | undefined {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) return undefined;
  return { id: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`, settled: Date.now() - Math.max(st.mtimeMs, st.ctimeMs) > STATE_CACHE_SETTLE_MS };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

export function readState(dir: string): StateRead {
  const file = path.join(dir, STATE_FILE);
  const before = identity(file);
  const known = cache.get(file);
  if (before !== undefined && known?.id === before.id) return known.read;
  const read = readStateNow(file, dir);
  // Kept only when settled, and the same file before and after the read (not replaced meanwhile).
  if (before?.settled && identity(file)?.id === before.id) cache.set(file, { id: before.id, read: deepFreeze(read) });
  else cache.delete(file);
  return read;
}

function readStateNow(stateFile: string, dir: string): StateRead {
  const r = readRegularFile(stateFile, { maxBytes: STATE_MAX_BYTES, noFollow: true });
  if (!r.ok) return r.reason === 'missing' ? { kind: 'missing' } : { kind: 'invalid', reason: `state.json ${r.detail}` };
  let value: unknown;
  try {
    value = JSON.parse(r.text);
  } catch {
    // A sidecar writes by rename, so a torn file is not ours either.
    return { kind: 'invalid', reason: 'state.json is not JSON' };
  }
  const errors = checkJson(STATE_SCHEMA, value);
  if (errors.length > 0) return { kind: 'invalid', reason: `state.json does not match the state schema: ${errors.slice(0, 3).join('; ')}` };
  const file = value as StateFile;
  if (file.supervisor.key !== path.basename(dir)) return { kind: 'invalid', reason: `state.json names key "${file.supervisor.key}", not "${path.basename(dir)}"` };
  return { kind: 'ok', file };
}

/** The state file, or undefined when it is missing or invalid. */
export function stateFileOf(dir: string): StateFile | undefined {
  const r = readState(dir);
  return r.kind === 'ok' ? r.file : undefined;
}

/** The service's state as written by the sidecar of `runId` (a state of an earlier run says nothing about this one). */
export function stateOfRun(file: StateFile | undefined, runId: string | null): ServiceRecord | undefined {
  if (!file) return undefined;
  return runId === null || file.supervisor.run_id === runId ? file.state : undefined;
}
