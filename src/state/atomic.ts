// Readers never see a torn file: write a temp file in the same dir, then rename.

import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../util/read-file.js';

let counter = 0;

export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  // A new file, never through a planted link; a leftover of a reused pid is replaced.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = openSync(tmp, flags, mode);
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    unlinkSync(tmp);
    fd = openSync(tmp, flags, mode);
  }
  try {
    writeSync(fd, text);
    // No fsync: a crash of the machine may lose the last state, never tear it; dev tools need speed.
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  }
}

/** A JSON file of devport's (plan.json, tmux.json): a regular file, not a symlink, not huge; undefined otherwise. Callers check the shape they use. */
export function readJson<T>(file: string, maxBytes = 64 * 1024 * 1024): T | undefined {
  const r = readRegularFile(file, { maxBytes, noFollow: true });
  if (!r.ok) return undefined;
  try {
    return JSON.parse(r.text) as T;
  } catch {
    return undefined;
  }
}

