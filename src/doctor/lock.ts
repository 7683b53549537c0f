// How the liveness locks are taken (src/state/lock.ts): flock(2) through the
// fs-ext addon, else util-linux's `flock` holding it in a helper process.
// Without either, no sidecar can lock its state dir: nothing can run.

import { which } from '../compose/exec.js';
import { lockKind } from '../state/lock.js';
import { fail, ok, warn, type Check } from './check.js';
import type { DoctorContext } from './context.js';

export function checkLock(ctx: DoctorContext): Check {
  if (lockKind() === 'flock') return ok('lock', 'flock(2) through the native addon fs-ext');
  const forced = ctx.env.DEVPORT_LOCK === 'flock-helper';
  const why = forced ? 'DEVPORT_LOCK=flock-helper turns the fs-ext addon off' : 'the fs-ext addon did not load (it was not built at install)';
  const helper = which('flock', ctx.env);
  if (!helper) {
    return fail('lock', `${why}, and util-linux's flock is not on PATH: sidecars cannot take their locks`, `install util-linux (it has flock), or ${forced ? 'unset DEVPORT_LOCK' : 'install python3 and a C++ compiler and reinstall devport, so fs-ext builds'}`);
  }
  return warn(
    'lock',
    `util-linux flock helper (${helper}): ${why}; locks work, each held by a helper process`,
    forced ? 'unset DEVPORT_LOCK to use flock(2) directly' : 'for flock(2) without helpers: install python3 and a C++ compiler, then reinstall devport (in a clone: npm rebuild fs-ext)',
  );
}
