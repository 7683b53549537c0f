// `devport up` past the first plan: take the stack lock, plan again under it,
// then either start the stack (nothing of it runs) or reconcile it (some of
// it runs: start what is new, changed or dead, stop what was removed, leave
// the rest alone, and exit). A fresh start then exits (--daemon) or stays in
// the foreground (foreground.ts). A failed start stops what it started, and
// only that.

import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { failure, UserError, type Failure } from '../errors/failure.js';
import { JsonLogger } from '../events/json-logger.js';
import type { Logger } from '../events/types.js';
import { planEventNodes } from '../plan/render.js';
import { UP_LOG } from '../state/dirs.js';
import { inventory, type Entry } from '../state/inventory.js';
import { colorEnabled } from '../util/color.js';
import { abandonStart } from './abandon.js';
import { decideChanges, untrustedLive } from './changes.js';
import { runForeground } from './foreground.js';
import { Interrupts } from './interrupts.js';
import { Output } from './output.js';
import type { Planner, PlanOutcome } from './planner.js';
import { notReadyOf, reportReady } from './ready.js';
import { reconcileStack } from './reconcile.js';
import { readRunningPlan } from './running-plan.js';
import { lockStack } from './stack-lock.js';
import { preflight, progressMode, startNodes } from './start-nodes.js';
import { upLogLine } from './summary.js';
import { tmuxAvailable } from './tmux.js';
import { forRun, makeContext, type RunUpOptions, type UpContext } from './up-context.js';
import { startMark } from '../util/start-trace.js';

export type { RunUpOptions } from './up-context.js';

type Planned = Extract<PlanOutcome, { ok: true }>;

/**
 * tmux or not: as the flags say; without one, as the running stack runs (a reconcile adds
 * windows to its session, or none), else when tmux is installed.
 */
function chooseTmux(opts: RunUpOptions, live: readonly Entry[]): boolean {
  if (opts.tmux !== undefined) return opts.tmux;
  if (live.length > 0) return live.some((e) => e.state?.supervisor.tmux) && tmuxAvailable();
  return tmuxAvailable();
}

export async function runUp(planner: Planner, opts: RunUpOptions): Promise<number> {
  const t0 = Date.now();
  const interrupts = new Interrupts();
  const out = new Output((why) => interrupts.stop(why));
  const color = !opts.json && colorEnabled(process.stdout);
  const logger: Logger | undefined = opts.json ? new JsonLogger((t) => out.write(t)) : undefined;
  let release: (() => void) | undefined;
  try {
    const lock = opts.held?.lock ?? (await lockStack(planner.stateDir));
    release = () => lock.release();
    startMark('up-locked');
    // Under the lock: the ports a running stack holds are claimed now, and nobody else starts anything.
    const planned = opts.held?.planned ?? (await planner.plan());
    if (!planned.ok) throw new UserError(planned.failures);
    startMark('up-replanned');
    const live = inventory(planner.stateDir).filter((e) => e.alive);
    // Docker and its compose CLI, checked before anything starts (a stack without compose nodes runs nothing here).
    const { composePreflight } = await import('../compose/preflight.js');
    const pre = await composePreflight(planned.plan);
    if (!pre.ok) throw new UserError(pre.failures);
    if (pre.versions) logger?.log({ event: 'preflight', compose: pre.versions.compose, engine: pre.versions.engine });
    if (opts.fresh && live.length > 0) {
      throw new UserError([failure('FLAG_CONFLICT', '--fresh starts a stack from nothing, and this one is running', { hint: '`devport down` first (add --volumes to drop its compose volumes), then `devport up --fresh`' })]);
    }
    const ctx = makeContext(opts, interrupts, out, logger, color, chooseTmux(opts, live));
    if (live.length > 0) return await reconcileRunning(ctx, planned, t0);
    if (opts.tmux === undefined && !ctx.useTmux && !opts.json) ctx.say(ctx.c.dim('tmux is not installed: running the sidecars detached (output in devport logs)'));
    return await startFresh(ctx, planner, planned, t0);
  } finally {
    interrupts.dispose();
    release?.();
  }
}

/** `up` on a running stack: apply the spec to it and exit, with or without --daemon (`devport logs -f` follows it). */
async function reconcileRunning(ctx: UpContext, planned: Planned, t0: number): Promise<number> {
  const stateDir = planned.plan.stateDir;
  const entries = inventory(stateDir);
  const untrusted = untrustedLive(entries);
  if (untrusted.length > 0) throw new UserError(untrusted);
  const changes = decideChanges(readRunningPlan(stateDir), planned.plan, entries, planned.specKeys);
  const next = forRun(planned.plan);
  if (!ctx.opts.json) ctx.out.write(`${ctx.c.bold('devport up')} ${ctx.c.dim('the stack is running: applying the spec to it')}\n`);
  const outcome = await reconcileStack(ctx, next, changes, progressMode(ctx, false), t0);
  if (!outcome.ok) {
    if (outcome.reason === 'interrupted') return 130;
    throw new UserError(outcome.failures);
  }
  const elapsed = Date.now() - t0;
  reportReady(ctx, next, elapsed, { daemon: true, notReady: notReadyOf(next, changes.unchanged) });
  appendFileSync(path.join(stateDir, UP_LOG), upLogLine(next, elapsed));
  return 0;
}

async function startFresh(ctx: UpContext, planner: Planner, planned: Planned, t0: number): Promise<number> {
  const { opts, out, logger, c } = ctx;
  const live = forRun(planned.plan);
  const keys = live.nodes.map((n) => n.key);
  // Every problem that needs no process (env_out, unsafe state dirs) at once, before anything starts.
  const early = preflight(live, keys);
  if (early.length > 0) throw new UserError(early);
  if (opts.fresh) {
    // Compose containers and volumes of this stack go before it starts: a clean database.
    const { freshCompose } = await import('../compose/teardown.js');
    const swept = await freshCompose(live);
    if (swept && !opts.json) out.write(c.dim(`--fresh: removed ${swept.removed.containers} container(s) and ${swept.removed.volumes} volume(s) of compose project ${swept.project}\n`));
    for (const p of swept?.problems ?? []) ctx.say(c.yellow(`--fresh: ${p}`));
  }
  logger?.log({ event: 'plan', spec: live.spec, tmux_session: live.tmuxSession, isolation_id: live.isolationId, waves: live.waves, services: planEventNodes(live), stack_env_names: Object.keys(live.stackEnv), dry_run: false });
  const n = keys.length;
  if (!opts.json) out.write(`${c.bold('devport up')} ${c.dim(`${n} service${n === 1 ? '' : 's'} · ${ctx.useTmux ? `tmux session ${live.tmuxSession}` : 'no tmux'}`)}\n`);
  startMark('up-preflight-done');
  const started = await startNodes(ctx, live, keys, progressMode(ctx, false), t0);
  const result = started.result;

  if (!result.ok) {
    const failures: Failure[] = result.reason === 'failed' ? result.failures : [];
    if (!opts.keepOnFailure || result.reason === 'interrupted') {
      if (!opts.json) out.write(c.dim(result.reason === 'interrupted' ? 'interrupted: stopping what was started…\n' : 'stopping what this up started…\n'));
      const t = Date.now();
      const stopped = await abandonStart(ctx, live, keys, started.planFile, 'remove');
      logger?.log({ event: 'shutdown', reason: result.reason === 'interrupted' ? ctx.interrupts.reason : 'up failed', stopped: stopped.map((s) => s.key), duration_ms: Date.now() - t });
    } else if (!opts.json) out.write(c.yellow('--keep-on-failure: the stack is left running for inspection; `devport down` stops it\n'));
    if (result.reason === 'interrupted') return 130;
    throw new UserError(failures);
  }

  startMark('up-ready');
  const elapsed = Date.now() - t0;
  reportReady(ctx, live, elapsed, { daemon: opts.daemon });
  if (opts.daemon) {
    appendFileSync(path.join(live.stateDir, UP_LOG), upLogLine(live, elapsed));
    return 0;
  }
  return runForeground(ctx, planner, { plan: live, inputs: planned.inputs, logStart: started.logStart });
}
