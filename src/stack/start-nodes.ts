// Starting some nodes of a plan: the fresh `up`, a reconcile (what changed),
// and `r` (everything) all do it the same way. First what can fail without
// touching anything (env_out, the state dirs), then plan.json, the sidecars,
// and the wait until the started nodes are ready.

import path from 'node:path';
import { UserError, type Failure } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import { ensureServiceDir } from '../state/dirs.js';
import { logSize } from './follow.js';
import { launchSidecars, writeEnvOut, writePlanFile } from './launch.js';
import { canRedraw } from '../util/text.js';
import { createProgress } from './progress.js';
import { onlyNodes, type UpContext } from './up-context.js';
import { waitForStack, type WaitResult } from './wait.js';
import { startMark } from '../util/start-trace.js';

/**
 * What stops a start before anything is touched: env_out that cannot be written (then not even a
 * state dir is made), state dirs devport cannot trust (all of them at once).
 */
export function preflight(plan: Plan, keys: readonly string[]): Failure[] {
  const envOut = writeEnvOut(plan);
  if (envOut) return [envOut];
  const failures: Failure[] = [];
  for (const key of keys) {
    try {
      ensureServiceDir(plan.stateDir, key);
    } catch (err: unknown) {
      if (UserError.is(err)) failures.push(...err.failures);
      else throw err;
    }
  }
  return failures;
}

export interface Started {
  result: WaitResult;
  planFile: string;
  /** Each started key's output.log size before its sidecar launched: the log follower starts there. */
  logStart: Map<string, number>;
}

export type ProgressMode = 'tty' | 'plain' | 'json';

/** Writes plan.json, launches the sidecars of `keys`, and waits until those nodes are ready (or fail, or `up` is interrupted). */
export async function startNodes(ctx: UpContext, plan: Plan, keys: readonly string[], mode: ProgressMode, t0 = Date.now()): Promise<Started> {
  const planFile = writePlanFile(plan);
  const part = onlyNodes(plan, keys);
  const logStart = new Map(part.nodes.map((n) => [n.key, logSize(path.join(plan.stateDir, n.key))]));
  if (part.nodes.length === 0) return { result: { ok: true }, planFile, logStart };
  startMark('up-planfile-written');
  const launched = launchSidecars(plan, planFile, part.nodes, ctx.useTmux);
  startMark('up-launched');
  if (!launched.ok) return { result: { ok: false, reason: 'failed', failures: launched.failures }, planFile, logStart };
  const progress = createProgress({ mode, color: ctx.color, t0, logger: ctx.logger, out: ctx.out, nodes: part.nodes });
  const result = await waitForStack(part, { timeoutMs: ctx.opts.waitTimeoutMs, signal: ctx.interrupts.graceful.signal, onChange: (node, s) => progress.change(node, s) });
  progress.done();
  return { result, planFile, logStart };
}

/** How `up` shows progress: a redrawn table on a terminal, a line per change otherwise (also while it follows logs), events with --json. */
export function progressMode(ctx: UpContext, following: boolean): ProgressMode {
  if (ctx.opts.json) return 'json';
  // A line per change where a redraw cannot work: TERM=dumb, a terminal under 60 columns.
  return canRedraw(process.stdout) && !following ? 'tty' : 'plain';
}
