// tmux: the terminal of the stack. Without it devport still runs, detached.

import { spawnSync } from 'node:child_process';
import { which } from '../compose/exec.js';
import { ok, warn, type Check } from './check.js';
import type { DoctorContext } from './context.js';

const WITHOUT = 'without it devport runs the sidecars detached (their output in `devport logs`, no `devport attach`)';

export function checkTmux(ctx: DoctorContext): Check {
  const tmux = which('tmux', ctx.env);
  if (!tmux) return warn('tmux', `not on PATH: ${WITHOUT}`, 'install tmux (apt-get install tmux, brew install tmux) for a window per service');
  const r = spawnSync(tmux, ['-V'], { encoding: 'utf8', timeout: 5000, env: ctx.env });
  const version = r.status === 0 ? r.stdout.trim() : '';
  if (version === '') {
    const why = r.error ? r.error.message : (r.stderr ?? '').trim() || `exited ${r.status ?? r.signal}`;
    return warn('tmux', `${tmux} does not run (tmux -V: ${why}): ${WITHOUT}`, 'reinstall tmux, or put a working one first on PATH');
  }
  return ok('tmux', `${version} (${tmux})`);
}
