// Reading services' output for `devport logs`: lines with the byte offset they
// start at, and, from output.idx (written beside output.log, see
// supervisor/output-log.ts), when each was written and by which generation.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { indexFileOf } from '../supervisor/output-log.js';
import { readRegularFile } from '../util/read-file.js';

export interface Mark {
  offset: number;
  ts: number;
  generation: number;
}

export interface LogLine {
  offset: number;
  text: string;
}

/** output.idx, in order of offset (an index of a log rotated meanwhile is simply shorter). */
export function readMarks(logFile: string): Mark[] {
  const r = readRegularFile(indexFileOf(logFile), { maxBytes: 16 * 1024 * 1024, noFollow: true });
  if (!r.ok) return [];
  const out: Mark[] = [];
  for (const line of r.text.split('\n')) {
    const [o, t, g] = line.split(' ').map(Number);
    if (Number.isSafeInteger(o) && Number.isFinite(t) && Number.isSafeInteger(g)) out.push({ offset: o as number, ts: t as number, generation: g as number });
  }
  return out;
}

/** The mark in force at `offset`: the last one at or before it. */
export function markAt(marks: readonly Mark[], offset: number): Mark | undefined {
  let lo = 0;
  let hi = marks.length - 1;
  let found: Mark | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = marks[mid] as Mark;
    if (m.offset <= offset) {
      found = m;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Where output written at or after `sinceMs` begins (the first mark at or after it), or undefined when none was. */
export function offsetSince(marks: readonly Mark[], sinceMs: number): number | undefined {
  return marks.find((m) => m.ts >= sinceMs)?.offset;
}

/** The last `n` lines of `file` that start at or after `from`, each with its offset (at most `maxBytes` read). */
export function linesFrom(file: string, from: number, n: number, maxBytes = 4 * 1024 * 1024): LogLine[] {
  if (n <= 0) return [];
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return [];
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return [];
    const start = Math.max(Math.min(from, st.size), st.size - maxBytes);
    const buf = Buffer.alloc(st.size - start);
    const got = readSync(fd, buf, 0, buf.length, start);
    const out: LogLine[] = [];
    let lineStart = 0;
    for (let i = 0; i < got; i++) {
      if (buf[i] !== 0x0a) continue;
      out.push({ offset: start + lineStart, text: buf.toString('utf8', lineStart, i).replace(/\r$/, '') });
      lineStart = i + 1;
    }
    if (lineStart < got) out.push({ offset: start + lineStart, text: buf.toString('utf8', lineStart, got).replace(/\r$/, '') });
    // Reading from the middle of a file (maxBytes): the first piece is not a whole line.
    if (start > from && start > 0 && out.length > 0) out.shift();
    return out.slice(-n);
  } finally {
    closeSync(fd);
  }
}
