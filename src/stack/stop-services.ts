// Stopping some of the stack from inside `up`, each service reported as it
// goes: a reconcile stopping what changed or was removed, a failed start
// stopping what it started, `r` and the foreground's end stopping everything.

import { DEFAULTS } from '../spec/defaults.js';
import { downStack, type Stopped } from './down.js';
import type { UpContext } from './up-context.js';

export interface StopWhat {
  stateDir: string;
  /** Only these keys (default: every state dir of the stack). */
  keys?: readonly string[];
  /** Only what the run with this id started. */
  runId?: string | null;
}

export function stopServices(ctx: UpContext, what: StopWhat): Promise<Stopped[]> {
  const { c, opts, logger, out } = ctx;
  return downStack({
    stateDir: what.stateDir,
    timeoutMs: opts.downTimeoutMs ?? DEFAULTS.downTimeoutMs,
    ...(what.keys ? { keys: what.keys } : {}),
    ...(what.runId ? { runId: what.runId } : {}),
    force: ctx.interrupts.force.signal,
    onStopped: (s) => {
      if (opts.json) logger?.log({ event: 'stopped', service: s.key, how: s.how });
      else out.write(`  ${c.dim('■')} ${s.key} ${c.dim(s.how)}\n`);
    },
    onUntrusted: (u) => {
      if (opts.json) logger?.log({ event: 'untrusted', service: u.key, problem: u.problem });
      else out.write(`  ${c.yellow('!')} ${u.key} ${c.dim(u.problem)}\n`);
    },
  });
}
