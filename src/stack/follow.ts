// Following services' output.log files: new lines as they are written, each
// with a coloured `name |` prefix. Survives rotation to output.log.1.

import { closeSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { OUTPUT_LOG } from '../state/dirs.js';
import { palette, stripAnsi } from '../util/color.js';

export interface FollowSource {
  key: string;
  dir: string;
  /** Byte offset to start from (the file's size: only what comes next). */
  offset: number;
}

export function logSize(dir: string): number {
  try {
    return statSync(path.join(dir, OUTPUT_LOG)).size;
  } catch {
    return 0;
  }
}

export function prefixer(keys: readonly string[], opts: { color: boolean }): (key: string, line: string) => string {
  const c = palette(opts.color);
  const width = Math.max(...keys.map((k) => k.length), 1);
  const index = new Map(keys.map((k, i) => [k, i]));
  return (key, line) => `${c.pick(index.get(key) ?? 0, `${key.padEnd(width)} |`)} ${line}`;
}

/** Cleans a raw pty line for display: no CR, and no ANSI when the output is not a terminal. */
export function displayLine(raw: string, keepAnsi: boolean): string {
  const line = raw.replace(/\r+$/, '').replace(/.*\r(?!$)/, '');
  return keepAnsi ? line : stripAnsi(line);
}

export class Follower {
  readonly #sources: (FollowSource & { partial: string })[];
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #prefix: (key: string, line: string) => string;

  constructor(
    sources: readonly FollowSource[],
    private readonly opts: { color: boolean; keepAnsi: boolean; write: (text: string) => void },
  ) {
    this.#sources = sources.map((s) => ({ ...s, partial: '' }));
    this.#prefix = prefixer(sources.map((s) => s.key), { color: opts.color });
  }

  start(): void {
    for (const s of this.#sources) {
      try {
        this.#watchers.push(watch(s.dir, { persistent: false }, () => this.read(s)));
      } catch {
        /* the poll covers it */
      }
    }
    this.#timer = setInterval(() => this.drain(), 250);
    this.drain();
  }

  drain(): void {
    for (const s of this.#sources) this.read(s);
  }

  stop(): void {
    this.drain();
    for (const s of this.#sources) if (s.partial) this.emit(s, s.partial), (s.partial = '');
    clearInterval(this.#timer);
    for (const w of this.#watchers) w.close();
  }

  private emit(s: FollowSource, raw: string): void {
    this.opts.write(this.#prefix(s.key, displayLine(raw, this.opts.keepAnsi)) + '\n');
  }

  private read(s: FollowSource & { partial: string }): void {
    const file = path.join(s.dir, OUTPUT_LOG);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return;
    }
    if (size < s.offset) s.offset = 0; // rotated: the new file starts over
    if (size === s.offset) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size - s.offset, 4 * 1024 * 1024));
      const n = readSync(fd, buf, 0, buf.length, s.offset);
      s.offset += n;
      const text = s.partial + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      s.partial = lines.pop() ?? '';
      for (const l of lines) this.emit(s, l);
    } finally {
      closeSync(fd);
    }
  }
}
