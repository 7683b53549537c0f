// Reading a file devport did not necessarily write (a spec, an env_file, a
// state.json): only a regular file, opened without blocking (a FIFO would hang
// open()), optionally refusing a symlink, and never more than `maxBytes`.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export type ReadOutcome =
  | { ok: true; text: string }
  | { ok: false; reason: 'missing' | 'symlink' | 'not-a-file' | 'too-large' | 'unreadable'; detail: string };

export function readRegularFile(file: string, opts: { maxBytes: number; noFollow?: boolean }): ReadOutcome {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, reason: 'missing', detail: 'does not exist' };
    if (code === 'ELOOP') return { ok: false, reason: 'symlink', detail: 'is a symbolic link' };
    return { ok: false, reason: 'unreadable', detail: `cannot be opened (${code})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      return { ok: false, reason: 'not-a-file', detail: `is ${kind}, not a regular file` };
    }
    if (st.size > opts.maxBytes) return { ok: false, reason: 'too-large', detail: `is ${st.size} bytes (at most ${opts.maxBytes} are read)` };
    // Read at most one byte past the cap: a file that grows while read is still refused.
    const buf = Buffer.allocUnsafe(Math.min(opts.maxBytes + 1, Math.max(st.size, 4096) + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) return { ok: false, reason: 'too-large', detail: `grew past ${opts.maxBytes} bytes while read` };
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > opts.maxBytes) return { ok: false, reason: 'too-large', detail: `grew past ${opts.maxBytes} bytes while read` };
    }
    return { ok: true, text: buf.toString('utf8', 0, n) };
  } catch (err: unknown) {
    return { ok: false, reason: 'unreadable', detail: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  } finally {
    closeSync(fd);
  }
}
