// What every verb needs: find and load the spec, options shared by verbs.

import { failure, unwrap, UserError } from '../errors/failure.js';
import { discoverSpec } from '../spec/discover.js';
import { loadSpec, type LoadedSpec } from '../spec/load.js';

export interface SpecOptions {
  file?: string | undefined;
  spec?: string | undefined;
  cwd: string;
}

export function resolveSpecPath(opts: SpecOptions): string {
  if (opts.file !== undefined && opts.spec !== undefined && opts.file !== opts.spec) {
    throw new UserError([
      failure('FLAG_CONFLICT', `both -f ${opts.file} and the positional spec ${opts.spec} were given`, { hint: 'name the spec once' }),
    ]);
  }
  return unwrap(discoverSpec(opts.file ?? opts.spec, opts.cwd));
}

export function loadSpecOrThrow(opts: SpecOptions): LoadedSpec {
  return unwrap(loadSpec(resolveSpecPath(opts)));
}

/** `--only a,b --only c` → ["a", "b", "c"]. */
export function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}
