// output.log: the child's output as written (ANSI kept), rotated to
// output.log.1 at 10 MiB. Writes are synchronous appends to the page cache:
// cheap, ordered, and never waiting on a reader. Never opened through a
// symlink: output must not land in a file someone planted a link to.
//
// Beside it, output.idx says when: a line `<offset> <epoch ms> <generation>`
// whenever a generation starts and, while output flows, at most every 100 ms.
// `logs --since` and `logs --json` (ts, generation per line) read it.

import { closeSync, constants, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';

export const ROTATE_BYTES = 10 * 1024 * 1024;

/** How fine output.idx is: a mark at most this often while output flows. */
export const INDEX_EVERY_MS = 100;

export const indexFileOf = (file: string) => file.replace(/\.log$/, '.idx');

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

export class OutputLog {
  #fd: number;
  #size: number;
  /** Where this writer's output began (0 again after a rotation). */
  #start: number;
  #idx: number;
  #generation = 0;
  #lastMark = 0;

  constructor(
    readonly file: string,
    private readonly rotateBytes = ROTATE_BYTES,
    private readonly onRotate: () => void = () => {},
  ) {
    this.#fd = openSync(file, APPEND, 0o600);
    const st = fstatSync(this.#fd);
    if (!st.isFile()) {
      closeSync(this.#fd);
      throw new Error(`${file} is not a regular file`);
    }
    this.#size = st.size;
    this.#start = st.size;
    this.#idx = this.openIndex();
  }

  private openIndex(): number {
    try {
      return openSync(indexFileOf(this.file), APPEND, 0o600);
    } catch {
      return -1; // output without times: logs still work, --since and ts do not
    }
  }

  /** A new generation begins: its output is marked as its own from here. */
  setGeneration(generation: number): void {
    this.#generation = generation;
    this.mark(Date.now());
  }

  private mark(now: number): void {
    this.#lastMark = now;
    if (this.#idx < 0) return;
    try {
      writeSync(this.#idx, `${this.#size} ${now} ${this.#generation}\n`);
    } catch {
      /* a full disk: the log itself matters more */
    }
  }

  /** Byte offset in the file where this writer's output begins: "the current run". */
  get start(): number {
    return this.#start;
  }

  write(chunk: Buffer | string): void {
    if (this.#fd < 0) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#size > 0 && this.#size + buf.length > this.rotateBytes) this.rotate();
    const now = Date.now();
    if (now - this.#lastMark >= INDEX_EVERY_MS) this.mark(now);
    let off = 0;
    try {
      while (off < buf.length) off += writeSync(this.#fd, buf, off);
    } catch {
      // A full disk must not take the supervisor (and its child) down.
    }
    this.#size += buf.length;
  }

  private rotate(): void {
    try {
      renameSync(this.file, `${this.file}.1`);
      const fd = openSync(this.file, APPEND, 0o600);
      closeSync(this.#fd);
      this.#fd = fd;
      this.#size = 0;
      this.#start = 0;
      const idx = indexFileOf(this.file);
      if (this.#idx >= 0) closeSync(this.#idx);
      try {
        renameSync(idx, `${idx}.1`);
      } catch {
        /* none yet */
      }
      this.#idx = this.openIndex();
      this.mark(Date.now());
      this.onRotate();
    } catch {
      // Could not rotate (something planted at output.log): keep appending where we are.
    }
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    if (this.#idx >= 0) closeSync(this.#idx);
    this.#fd = -1;
    this.#idx = -1;
  }
}

/** The last `maxBytes` of a regular file from `since` on (no FIFO, no symlink, never blocking). */
function readTail(file: string, maxBytes: number, since = 0): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return Buffer.alloc(0);
    const from = Math.max(since <= st.size ? since : 0, st.size - maxBytes);
    const buf = Buffer.alloc(st.size - from);
    const n = readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * The last `n` lines of output.log. With `since` (a sidecar's output_offset),
 * only what that sidecar wrote: its run, not earlier ones. Without, reaching
 * into output.log.1 when needed.
 */
export function tailLines(file: string, n: number, opts: { maxBytes?: number; since?: number } = {}): string[] {
  if (n <= 0) return [];
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  let text = readTail(file, maxBytes, opts.since).toString('utf8');
  let lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < n && opts.since === undefined) {
    text = readTail(`${file}.1`, maxBytes).toString('utf8') + text;
    lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
  }
  return lines.slice(-n).map((l) => l.replace(/\r$/, ''));
}
