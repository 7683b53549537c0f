// The private directory for sockets whose path is too long for a unix socket:
// $XDG_RUNTIME_DIR/devport-<uid> (or the temp dir's). A sidecar refuses it
// unless it is a real directory, yours, mode 0700 (src/supervisor/rpc-server.ts
// runtimeDir); doctor applies the same rules without creating it.

import { lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fail, ok, type Check } from './check.js';
import type { DoctorContext } from './context.js';

export function runtimeDirPath(env: Record<string, string | undefined>): string {
  return path.join(env.XDG_RUNTIME_DIR || os.tmpdir(), `devport-${process.getuid?.() ?? 0}`);
}

export function checkRuntimeDir(ctx: DoctorContext): Check {
  const dir = runtimeDirPath(ctx.env);
  const uid = process.getuid?.() ?? 0;
  let st;
  try {
    st = lstatSync(dir);
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return ok('runtime-dir', `${dir} does not exist yet (made 0700 when a socket path is too long)`);
    return fail('runtime-dir', `${dir} cannot be examined (${code ?? String(err)})`, `check the permissions of ${path.dirname(dir)}, or set XDG_RUNTIME_DIR to a directory of yours`);
  }
  const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
  const problems: string[] = [];
  if (st.isSymbolicLink()) problems.push('is a symbolic link');
  else if (!st.isDirectory()) problems.push('is not a directory');
  if (st.uid !== uid) problems.push(`is owned by uid ${st.uid}, not by you (uid ${uid})`);
  if (!st.isSymbolicLink() && (st.mode & 0o077) !== 0) problems.push(`has mode ${mode}, not 0700`);
  if (problems.length === 0) return ok('runtime-dir', `${dir} is private (yours, 0700)`);
  return fail('runtime-dir', `${dir} ${problems.join(', ')}: sidecars refuse to put sockets there`, `remove it (\`rm -r ${JSON.stringify(dir)}\`); devport makes it again, private`);
}
