// The spec: found (walking up, or -f), and valid. None is a warning (doctor
// also runs outside projects); a mistake is a failure, counted, the first named.

import path from 'node:path';
import type { Failure } from '../errors/failure.js';
import { fail, ok, warn, type Check } from './check.js';
import type { DoctorContext } from './context.js';

function where(f: Failure, cwd: string): string {
  if (!f.location) return f.message;
  const rel = path.relative(cwd, f.location.file);
  const file = rel === '' || rel.startsWith('..') ? f.location.file : rel;
  return `${file}:${f.location.line}:${f.location.col} ${f.message}`;
}

export function checkSpec(ctx: DoctorContext): Check {
  const s = ctx.spec;
  if (s.kind === 'missing') {
    // An explicit -f that is not there was asked for; a project without a spec is only a warning.
    return (s.explicit ? fail : warn)('spec', s.failure.message, s.failure.hint);
  }
  if (s.kind === 'invalid') {
    const [first] = s.failures;
    const n = s.failures.length;
    const positioned = s.failures.filter((f) => f.location).length;
    const count = positioned === n ? `${n} error${n === 1 ? '' : 's'}` : `${n} error${n === 1 ? '' : 's'} (${positioned} positioned)`;
    return fail('spec', `${s.file} has ${count}${first ? `; first: ${where(first, ctx.cwd)}` : ''}`, '`devport up --dry-run` prints each error with its line and a caret, and what to do');
  }
  const nodes = s.loaded.tree.length;
  return ok('spec', `${s.file} is valid (${nodes} service${nodes === 1 ? '' : 's'})`);
}
