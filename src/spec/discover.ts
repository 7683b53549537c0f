// Finding devport.toml: walk up from the working directory, like git.

import { statSync } from 'node:fs';
import path from 'node:path';
import { fail, failure, ok, type Result } from '../errors/failure.js';

export const SPEC_NAME = 'devport.toml';

/**
 * Anything at `p` but a directory counts as the spec: a FIFO or a device named
 * devport.toml is then refused by loadSpec saying what it is, instead of being
 * skipped (walking on up to some parent's spec) or called missing. stat never
 * opens the file, so a FIFO cannot hang here.
 */
function isSpecCandidate(p: string): boolean {
  try {
    return !statSync(p).isDirectory();
  } catch (err: unknown) {
    // There but not stat-able (EACCES, a symlink loop): let loadSpec say why it cannot be read.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** An explicit path (file or directory) wins; otherwise the nearest devport.toml up from `cwd`. */
export function discoverSpec(explicit: string | undefined, cwd: string): Result<string> {
  if (explicit !== undefined) {
    const abs = path.resolve(cwd, explicit);
    if (isSpecCandidate(abs)) return ok(abs);
    if (isDir(abs) && isSpecCandidate(path.join(abs, SPEC_NAME))) return ok(path.join(abs, SPEC_NAME));
    return fail(
      failure('SPEC_NOT_FOUND', `${explicit} ${isDir(abs) ? `has no ${SPEC_NAME}` : 'does not exist'}`, {
        hint: `pass the path of a devport.toml, or create ${isDir(abs) ? path.join(explicit, SPEC_NAME) : explicit}`,
      }),
    );
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, SPEC_NAME);
    if (isSpecCandidate(candidate)) return ok(candidate);
    if (path.dirname(dir) === dir) break;
  }
  return fail(
    failure('SPEC_NOT_FOUND', `no ${SPEC_NAME} in ${cwd} or any parent directory`, {
      hint: `create a ${SPEC_NAME} (see .devport.example.toml), or pass one with --file PATH`,
    }),
  );
}
