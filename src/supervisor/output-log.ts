// output.log: the child's output as written (ANSI kept), rotated to
// output.log.1 at 10 MiB. Writes are synchronous appends to the page cache:
// cheap, ordered, and never waiting on a reader. Never opened through a
// symlink: output must not land in a file someone planted a link to.

import { closeSync, constants, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';

export const ROTATE_BYTES = 10 * 1024 * 1024;

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

export class OutputLog {
  #fd: number;
  #size: number;
  /** Where this writer's output began (0 again after a rotation). */
  #start: number;

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
  }

  /** Byte offset in the file where this writer's output begins: "the current run". */
  get start(): number {
    return this.#start;
  }

  write(chunk: Buffer | string): void {
    if (this.#fd < 0) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#size > 0 && this.#size + buf.length > this.rotateBytes) this.rotate();
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
      this.onRotate();
    } catch {
      // Could not rotate (something planted at output.log): keep appending where we are.
    }
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
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
