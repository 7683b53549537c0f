// output.log: the child's output as written (ANSI kept), rotated to
// output.log.1 at 10 MiB. Writes are synchronous appends to the page cache:
// cheap, ordered, and never waiting on a reader.

import { closeSync, fstatSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';

export const ROTATE_BYTES = 10 * 1024 * 1024;

export class OutputLog {
  #fd: number;
  #size: number;

  constructor(
    readonly file: string,
    private readonly rotateBytes = ROTATE_BYTES,
  ) {
    this.#fd = openSync(file, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  write(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#size > 0 && this.#size + buf.length > this.rotateBytes) this.rotate();
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off);
    this.#size += buf.length;
  }

  private rotate(): void {
    closeSync(this.#fd);
    renameSync(this.file, `${this.file}.1`);
    this.#fd = openSync(this.file, 'a', 0o600);
    this.#size = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function readTail(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = statSync(file).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** The last `n` lines of output.log (reaching into output.log.1 when needed). */
export function tailLines(file: string, n: number, maxBytes = 1024 * 1024): string[] {
  if (n <= 0) return [];
  let text = readTail(file, maxBytes).toString('utf8');
  let lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < n) {
    text = readTail(`${file}.1`, maxBytes).toString('utf8') + text;
    lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
  }
  return lines.slice(-n).map((l) => l.replace(/\r$/, ''));
}
