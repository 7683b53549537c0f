// Finding devport.toml: walk up from the working directory, like git.

import { statSync } from 'node:fs';
import path from 'node:path';
import { fail, failure, ok, type Result } from '../errors/failure.js';

export const SPEC_NAME = 'devport.toml';

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
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
    if (isFile(abs)) return ok(abs);
    if (isDir(abs) && isFile(path.join(abs, SPEC_NAME))) return ok(path.join(abs, SPEC_NAME));
    return fail(
      failure('SPEC_NOT_FOUND', `${explicit} ${isDir(abs) ? `has no ${SPEC_NAME}` : 'does not exist'}`, {
        hint: `pass the path of a devport.toml, or create ${isDir(abs) ? path.join(explicit, SPEC_NAME) : explicit}`,
      }),
    );
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, SPEC_NAME);
    if (isFile(candidate)) return ok(candidate);
    if (path.dirname(dir) === dir) break;
  }
  return fail(
    failure('SPEC_NOT_FOUND', `no ${SPEC_NAME} in ${cwd} or any parent directory`, {
      hint: `create a ${SPEC_NAME} (see .devport.example.toml), or pass one with -f PATH`,
    }),
  );
}
