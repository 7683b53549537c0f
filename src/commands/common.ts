// What every verb needs: find the spec and its state dir, parse shared flags.
// Loading the spec itself is in load-spec.ts: down, ls and logs never parse TOML.

import path from 'node:path';
import { failure, unwrap, UserError } from '../errors/failure.js';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from '../spec/duration.js';
import { discoverSpec } from '../spec/discover.js';

export interface SpecOptions {
  file?: string | undefined;
  spec?: string | undefined;
  cwd: string;
}

export function resolveSpecPath(opts: SpecOptions): string {
  if (opts.file !== undefined && opts.spec !== undefined && opts.file !== opts.spec) {
    throw new UserError([
      failure('FLAG_CONFLICT', `both --file ${opts.file} and the positional spec ${opts.spec} were given`, { hint: 'name the spec once' }),
    ]);
  }
  return unwrap(discoverSpec(opts.file ?? opts.spec, opts.cwd));
}

/** `--only a,b --only c` → ["a", "b", "c"]. */
export function splitList(values: readonly string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** A duration flag: "30s", "500ms", or a bare number of seconds; at most MAX_DURATION_MS (24h). */
export function parseDurationFlag(flag: string, value: string): number {
  const ms = /^\d+(\.\d+)?$/.test(value) ? Math.round(Number(value) * 1000) : parseDuration(value);
  if (ms === undefined) {
    throw new UserError([failure('USAGE', `${flag} ${value} is not a duration`, { hint: `write ${flag} 30s, ${flag} 500ms or ${flag} 1m` })]);
  }
  if (ms > MAX_DURATION_MS) {
    throw new UserError([
      failure('USAGE', `${flag} ${value} is longer than the maximum of ${MAX_DURATION_TEXT}`, {
        hint: `write at most ${flag} ${MAX_DURATION_TEXT}: longer waits overflow Node's timers (which then fire at once)`,
      }),
    ]);
  }
  return ms;
}

/** The state dir of the project the spec belongs to; down, ls and logs need only this, not a valid spec. */
export function stateDirOf(opts: SpecOptions): { specFile: string; stateDir: string } {
  const specFile = resolveSpecPath(opts);
  return { specFile, stateDir: path.join(path.dirname(specFile), '.devport') };
}
