// A service's output for the dashboard: the current run's tail of output.log
// (from the offset its sidecar recorded), then every append as it lands.
// The sidecar's rpc /logs answers once and does not stream, so the file is
// followed with inotify on its dir (which also sees a rotation's rename).

import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher, constants } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { OUTPUT_LOG } from '../state/dirs.js';
import { stateFileOf } from '../state/read.js';
import type { LogFrame } from './types.js';

/** How much of the current run a viewer gets at first. */
export const FIRST_BYTES = 128 * 1024;
/** One read per event at most this much (a burst is sent in pieces). */
const CHUNK = 256 * 1024;

export class LogFollower {
  #pos = 0;
  #ino = 0;
  #fsw: FSWatcher | undefined;
  #decoder = new StringDecoder('utf8');
  #pending = false;
  #closed = false;

  constructor(
    private readonly dir: string,
    private readonly key: string,
    private readonly send: (f: LogFrame) => void,
  ) {}

  private get file(): string {
    return path.join(this.dir, OUTPUT_LOG);
  }

  start(): void {
    const offset = stateFileOf(this.dir)?.supervisor.output_offset ?? 0;
    const st = statSync(this.file, { throwIfNoEntry: false });
    if (st) {
      this.#ino = st.ino;
      const from = Math.max(offset > st.size ? 0 : offset, st.size - FIRST_BYTES);
      let text = this.read(from, st.size);
      // Started mid-line: the first, partial line is dropped.
      if (from > offset && from > 0) text = text.slice(text.indexOf('\n') + 1);
      if (text) this.send({ key: this.key, text });
    }
    try {
      this.#fsw = watch(this.dir, { persistent: false }, (_ev, name) => {
        if (name === null || name === OUTPUT_LOG) this.soon();
      });
      this.#fsw.on('error', () => this.close());
    } catch {
      /* the dir is gone: nothing more will be written */
    }
  }

  private read(from: number, to: number): string {
    let fd: number;
    try {
      fd = openSync(this.file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return '';
    }
    try {
      if (!fstatSync(fd).isFile()) return '';
      const end = Math.min(to, from + CHUNK);
      const buf = Buffer.alloc(Math.max(0, end - from));
      const n = buf.length > 0 ? readSync(fd, buf, 0, buf.length, from) : 0;
      this.#pos = from + n;
      return this.#decoder.write(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }

  /** One read per burst of events. */
  private soon(): void {
    if (this.#pending || this.#closed) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      if (this.#closed) return;
      const st = statSync(this.file, { throwIfNoEntry: false });
      if (!st) return;
      if (st.ino !== this.#ino || st.size < this.#pos) {
        // Rotated (or truncated): the new file from its start.
        this.#ino = st.ino;
        this.#pos = 0;
        this.#decoder = new StringDecoder('utf8');
        this.send({ key: this.key, text: '', reset: true });
      }
      while (this.#pos < st.size && !this.#closed) {
        const text = this.read(this.#pos, st.size);
        if (text) this.send({ key: this.key, text });
        else break;
      }
    });
  }

  close(): void {
    this.#closed = true;
    this.#fsw?.close();
  }
}
