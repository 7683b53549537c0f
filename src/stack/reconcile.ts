// Applying a new plan to a running stack (changes.ts decides what changes):
// nothing is touched until what can fail early has been checked; then the
// changed and removed services are stopped (dependents first), the new plan is
// written, and the changed, new and dead ones are launched and waited for.
// Their sidecars wait for their own dependencies, and a dependency left
// running by an earlier run counts (its sidecar is alive). Unchanged services
// keep their process and port. A start that fails stops only what it started.

import type { Failure } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import { abandonStart } from './abandon.js';
import { renderChanges, type Changes } from './changes.js';
import { preflight, startNodes, type ProgressMode } from './start-nodes.js';
import { stopServices } from './stop-services.js';
import type { UpContext } from './up-context.js';

export type ReconcileOutcome =
  | { ok: true }
  /** touched: false when it failed before stopping or starting anything. */
  | { ok: false; reason: 'failed'; failures: Failure[]; touched: boolean }
  | { ok: false; reason: 'interrupted' };

/** `next` carries the run id of the sidecars this reconcile launches. */
export async function reconcileStack(ctx: UpContext, next: Plan, changes: Changes, mode: ProgressMode, t0 = Date.now()): Promise<ReconcileOutcome> {
  const early = preflight(next, changes.launch);
  if (early.length > 0) return { ok: false, reason: 'failed', failures: early, touched: false };
  announceChanges(ctx, changes);
  // Stopped first: a changed service keeps its port, which its old process holds until then.
  if (changes.stop.length > 0) await stopServices(ctx, { stateDir: next.stateDir, keys: changes.stop });
  if (ctx.interrupts.graceful.signal.aborted) return { ok: false, reason: 'interrupted' };
  const started = await startNodes(ctx, next, changes.launch, mode, t0);
  const r = started.result;
  if (r.ok) return { ok: true };
  if (r.reason === 'interrupted' || !ctx.opts.keepOnFailure) {
    if (!ctx.opts.json) ctx.out.write(ctx.c.dim(r.reason === 'interrupted' ? 'interrupted: stopping what this up started…\n' : 'stopping what this up started…\n'));
    await abandonStart(ctx, next, changes.launch, started.planFile, 'rewrite');
  } else if (!ctx.opts.json) ctx.out.write(ctx.c.yellow('--keep-on-failure: left running for inspection; `devport down` stops the stack\n'));
  return r.reason === 'interrupted' ? r : { ok: false, reason: 'failed', failures: r.failures, touched: true };
}

/** One `reconcile` event, or a line per started, restarted and stopped service and one for the rest. */
export function announceChanges(ctx: UpContext, changes: Changes): void {
  if (ctx.opts.json) ctx.logger?.log({ event: 'reconcile', started: changes.started, restarted: changes.restarted, stopped: changes.stopped, unchanged: changes.unchanged });
  else ctx.out.write(renderChanges(changes, ctx.c));
}
