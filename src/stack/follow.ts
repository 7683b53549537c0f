// Following services' output.log files: new lines as they are written, each
// with a coloured `name |` prefix. Survives rotation to output.log.1. The set
// of services can change while it runs (the foreground `up` reconciling).

import { closeSync, constants, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
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
  return (key, line) => `${c.service(key, `${key.padEnd(width)} |`)} ${line}`;
}

/** Cleans a raw pty line for display: no CR, and no ANSI when the output is not a terminal. */
export function displayLine(raw: string, keepAnsi: boolean): string {
  const line = raw.replace(/\r+$/, '').replace(/.*\r(?!$)/, '');
  return keepAnsi ? line : stripAnsi(line);
}

type Source = FollowSource & { partial: string; watcher?: FSWatcher };

export class Follower {
  #sources: Source[];
  #timer: NodeJS.Timeout | undefined;
  #prefix: (key: string, line: string) => string;
  #started = false;

  constructor(
    sources: readonly FollowSource[],
    private readonly opts: {
      color: boolean;
      keepAnsi: boolean;
      write: (text: string) => void;
      /** How a line is shown (default: `name | line`); `logs --json` and `--no-prefix` pass their own. */
      format?: (key: string, raw: string) => string;
    },
  ) {
    this.#sources = sources.map((s) => ({ ...s, partial: '' }));
    this.#prefix = prefixer(sources.map((s) => s.key), { color: opts.color });
  }

  start(): void {
    this.#started = true;
    for (const s of this.#sources) this.watch(s);
    this.#timer = setInterval(() => this.drain(), 250);
    this.drain();
  }

  /**
   * Follows these services from now on: a key followed already keeps its place in its log
   * (a restarted service appends to the same file), a new one starts at its given offset,
   * one no longer listed is read to the end and dropped.
   */
  retarget(sources: readonly FollowSource[]): void {
    this.drain();
    const keep = new Map(this.#sources.map((s) => [s.key, s]));
    const next: Source[] = sources.map((s) => keep.get(s.key) ?? { ...s, partial: '' });
    for (const s of this.#sources) {
      if (next.includes(s)) continue;
      this.flush(s);
      s.watcher?.close();
    }
    this.#sources = next;
    this.#prefix = prefixer(next.map((s) => s.key), { color: this.opts.color });
    if (this.#started) for (const s of next) if (!s.watcher) this.watch(s);
    this.drain();
  }

  drain(): void {
    for (const s of this.#sources) this.read(s);
  }

  stop(): void {
    this.drain();
    for (const s of this.#sources) this.flush(s);
    clearInterval(this.#timer);
    for (const s of this.#sources) s.watcher?.close();
  }

  private watch(s: Source): void {
    try {
      s.watcher = watch(s.dir, { persistent: false }, () => this.read(s));
    } catch {
      /* the poll covers it */
    }
  }

  /** A last line without its newline yet. */
  private flush(s: Source): void {
    if (s.partial) this.emit(s, s.partial);
    s.partial = '';
  }

  private emit(s: FollowSource, raw: string): void {
    const line = this.opts.format ? this.opts.format(s.key, raw) : this.#prefix(s.key, displayLine(raw, this.opts.keepAnsi));
    this.opts.write(line + '\n');
  }

  private read(s: Source): void {
    const file = path.join(s.dir, OUTPUT_LOG);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return;
    }
    if (size < s.offset) s.offset = 0; // rotated: the new file starts over
    if (size === s.offset) return;
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch {
      return;
    }
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
