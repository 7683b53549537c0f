// The foreground `up`, once the stack is ready: it follows the logs and the
// services' states, applies edits to the spec and its env files by itself (a
// reconcile, as `up` on a running stack does), restarts everything from
// scratch on `r`, and lives until it is told to stop (a signal, `q`, its
// terminal or its parent going away, the stack stopped from elsewhere); then
// it brings the stack down.
//
// Edits and `r` run one at a time, in order; edits that arrive while one runs
// are applied together afterwards. Whatever fails (an invalid spec, a service
// that never gets healthy) is reported, and the foreground waits for the next
// edit or key.

import path from 'node:path';
import { failure, UserError, type Failure } from '../errors/failure.js';
import { renderFailuresHuman, renderFailuresJson } from '../errors/render.js';
import type { Plan } from '../plan/types.js';
import { inventory } from '../state/inventory.js';
import { launchParent } from '../sys/launch-parent.js';
import { colorEnabled } from '../util/color.js';
import { abandonStart } from './abandon.js';
import { decideChanges, isEmpty, untrustedLive } from './changes.js';
import { Follower, logSize, type FollowSource } from './follow.js';
import { KEYS_HELP, listenKeys } from './keyboard.js';
import { monitorStack } from './monitor.js';
import type { Planner } from './planner.js';
import { notReadyOf, reportReady } from './ready.js';
import { announceChanges, reconcileStack } from './reconcile.js';
import { watchInputs, type Inputs } from './spec-watch.js';
import { markForeground } from './stack-lock.js';
import { preflight, progressMode, startNodes } from './start-nodes.js';
import { stopServices } from './stop-services.js';
import { forRun, onlyNodes, type UpContext } from './up-context.js';

/** How often the foreground checks that its parent is still there (an agent's harness, a shell that was killed). */
const PARENT_CHECK_MS = 500;

export interface ForegroundStart {
  /** The plan the stack was started from (with its run id). */
  plan: Plan;
  /** What that plan was made from: edits are changes from this. */
  inputs: Inputs;
  /** Where each service's output.log stood before its sidecar started. */
  logStart: ReadonlyMap<string, number>;
}

export async function runForeground(ctx: UpContext, planner: Planner, start: ForegroundStart): Promise<number> {
  // A second `up` is told that this one applies edits by itself.
  const unmark = markForeground(planner.stateDir);
  try {
    return await follow(ctx, planner, start);
  } finally {
    unmark();
  }
}

async function follow(ctx: UpContext, planner: Planner, start: ForegroundStart): Promise<number> {
  const { opts, out, logger, c, interrupts } = ctx;
  const stateDir = planner.stateDir;
  const t0 = Date.now();
  let current = start.plan;
  let iteration = 1;
  let stoppedElsewhere = false;

  const sourcesOf = (nodes: Plan['nodes'], offsets: ReadonlyMap<string, number>): FollowSource[] =>
    nodes.map((n) => {
      const dir = path.join(stateDir, n.key);
      return { key: n.key, dir, offset: offsets.get(n.key) ?? logSize(dir) };
    });
  // Child output never goes to stdout in --json mode; state changes do, as `service` events.
  const follower = opts.json ? undefined : new Follower(sourcesOf(current.nodes, start.logStart), { color: ctx.color, keepAnsi: ctx.color, write: (t) => out.write(t) });
  follower?.start();

  // The state monitor, over the services that run now (several runs once reconciled: any run's state counts).
  let monitor: { stop(): void } | undefined;
  const watchStack = (keys: Iterable<string>) => {
    monitor?.stop();
    const part = onlyNodes(current, keys);
    monitor =
      part.nodes.length === 0
        ? undefined
        : monitorStack(
            { ...part, runId: null },
            {
              onChange: (node, s) =>
                logger?.log({ event: 'service', service: node.key, state: s.state, duration_ms: Date.now() - t0, ...(s.health ? { detail: s.health.detail } : {}), port: s.port, url: s.url, restarts: s.restarts, exit_code: s.exit_code }),
              onGone: () => {
                stoppedElsewhere = true;
                interrupts.stop('the stack was stopped from elsewhere');
              },
              // Human mode sees both in the service's own output ([devport] lines); --json gets events.
              onBuild: (node, b) => logger?.log({ event: 'build', service: node.key, ok: b.ok === true, duration_ms: b.duration_ms ?? 0, exit_code: b.exit_code, ...(b.ok ? {} : { tail: b.tail }) }),
              onReload: (node, r) => logger?.log({ event: 'reload', service: node.key, how: r.how, trigger: r.trigger, count: r.count }),
            },
          );
  };
  const pauseMonitor = () => {
    monitor?.stop();
    monitor = undefined;
  };
  /** After a change: follow the plan's services, watch those whose sidecar is alive. */
  const settle = () => {
    follower?.retarget(sourcesOf(current.nodes, new Map()));
    const alive = new Set(inventory(stateDir).filter((e) => e.alive).map((e) => e.key));
    watchStack(current.nodes.filter((n) => alive.has(n.key)).map((n) => n.key));
  };
  watchStack(current.nodes.map((n) => n.key));

  const reportFailures = (failures: readonly Failure[], after: string) => {
    if (opts.json) {
      out.error(renderFailuresJson(failures));
      logger?.log({ event: 'info', message: `${failures[0]?.code ?? 'ERROR'}: ${failures[0]?.message ?? ''}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}; ${after}` });
    } else {
      out.error(renderFailuresHuman(failures, { color: colorEnabled(process.stderr) }));
      out.write(c.yellow(`${after}\n`));
    }
  };
  const mode = progressMode(ctx, true);

  // An edit: plan again; an invalid spec leaves everything alone, a valid one is reconciled.
  const applyEdit = async (files: readonly string[]) => {
    const t = Date.now();
    const planned = await planner.plan();
    inputs.rebase(planned.inputs);
    const names = files.map((f) => path.relative(process.cwd(), f) || f).join(', ');
    if (!planned.ok) {
      reportFailures(planned.failures, `${names} changed, but the spec has errors: the running stack is left as it is (saving a fix applies it)`);
      return;
    }
    const entries = inventory(stateDir);
    const untrusted = untrustedLive(entries);
    if (untrusted.length > 0) return reportFailures(untrusted, 'the running stack is left as it is');
    const changes = decideChanges(current, planned.plan, entries, planned.specKeys);
    if (!opts.json) out.write(`${c.bold(`${names} changed`)}${c.dim(': applying it')}\n`);
    const next = forRun(planned.plan);
    if (isEmpty(changes)) {
      // Nothing runs differently (a comment, a reordering): env_out is rewritten, nothing else.
      const early = preflight(next, []);
      if (early.length > 0) return reportFailures(early, 'the running stack is left as it is');
      announceChanges(ctx, changes);
      if (opts.json) reportReady(ctx, current, Date.now() - t, { daemon: false, notReady: notReadyOf(current, changes.unchanged) });
      else out.write(c.dim('  nothing to change\n'));
      return;
    }
    pauseMonitor();
    // New services' output is followed from its first line, while they start.
    follower?.retarget(sourcesOf([...current.nodes, ...next.nodes.filter((n) => !current.nodes.some((m) => m.key === n.key))], new Map()));
    const outcome = await reconcileStack(ctx, next, changes, mode, t);
    if (outcome.ok || outcome.reason === 'interrupted' || outcome.touched) current = next;
    settle();
    if (outcome.ok) reportReady(ctx, current, Date.now() - t, { daemon: false, notReady: notReadyOf(current, changes.unchanged) });
    else if (outcome.reason === 'failed') reportFailures(outcome.failures, 'the rest of the stack keeps running; saving a fix to the spec applies it, r restarts from scratch');
  };

  // `r`: the spec again, everything stopped (dependents first), everything started again as a new run.
  const restartFromScratch = async () => {
    const t = Date.now();
    const planned = await planner.plan();
    inputs.rebase(planned.inputs);
    if (!planned.ok) {
      reportFailures(planned.failures, 'the spec has errors: nothing was restarted');
      return;
    }
    const next = forRun(planned.plan);
    const keys = next.nodes.map((n) => n.key);
    const early = preflight(next, keys);
    if (early.length > 0) {
      reportFailures(early, 'nothing was restarted');
      return;
    }
    iteration++;
    ctx.say(c.bold(`⟳ restarting from scratch (iteration ${iteration})`));
    pauseMonitor();
    await stopServices(ctx, { stateDir });
    if (interrupts.graceful.signal.aborted) return;
    const offsets = new Map(keys.map((k) => [k, logSize(path.join(stateDir, k))]));
    current = next;
    follower?.retarget(sourcesOf(current.nodes, offsets));
    const started = await startNodes(ctx, next, keys, mode, t);
    const r = started.result;
    if (r.ok) reportReady(ctx, current, Date.now() - t, { daemon: false });
    else if (r.reason === 'failed') {
      if (!opts.keepOnFailure) await abandonStart(ctx, next, keys, started.planFile, 'rewrite');
      reportFailures(r.failures, `${opts.keepOnFailure ? 'left as it is (--keep-on-failure)' : 'stopped what it started'}; saving a fix to the spec applies it, r tries again`);
    }
    settle();
  };

  // One change at a time, in order; repeated requests while one waits are one request.
  let queue: Promise<void> = Promise.resolve();
  const pending = { edit: new Set<string>(), restart: false };
  const enqueue = (job: () => Promise<void>) => {
    queue = queue.then(async () => {
      if (interrupts.graceful.signal.aborted) return;
      try {
        await job();
      } catch (err: unknown) {
        // A bug must not end the foreground with the stack left running: say so and carry on.
        const failures = UserError.is(err)
          ? err.failures
          : [failure('INTERNAL', `internal error, please report: ${err instanceof Error ? err.message : String(err)}`, { hint: 'please report this with the edit or key that caused it', ...(err instanceof Error && err.stack ? { detail: err.stack } : {}) })];
        reportFailures(failures, 'the rest of the stack keeps running');
      }
    });
  };
  const inputs = watchInputs(start.inputs, (files) => {
    const queued = pending.edit.size > 0;
    for (const f of files) pending.edit.add(f);
    if (queued) return;
    enqueue(async () => {
      const files = [...pending.edit];
      pending.edit.clear();
      await applyEdit(files);
    });
  });

  // The foreground lives until it is told to stop: this timer keeps the event loop alive (nothing
  // else may, with --json or without a TTY) and notices the parent going away.
  const ppid = launchParent();
  const alive = setInterval(() => {
    if (process.ppid !== ppid) interrupts.stop('its parent process exited');
  }, PARENT_CHECK_MS);
  const stopKeys =
    opts.keyboard && process.stdin.isTTY
      ? listenKeys({
          interrupt: () => interrupts.fire('interrupted'),
          quit: () => interrupts.fire('quit'),
          help: () => out.write(c.dim(`${KEYS_HELP}\n`)),
          restart: () => {
            if (pending.restart) return;
            pending.restart = true;
            enqueue(async () => {
              pending.restart = false;
              await restartFromScratch();
            });
          },
        })
      : () => {};

  await interrupts.requested();
  const t = Date.now();
  clearInterval(alive);
  inputs.stop();
  try {
    stopKeys();
  } catch {
    /* the terminal is gone */
  }
  // A change in progress sees the stop request and returns (what it started is stopped below).
  await queue.catch(() => {});
  pauseMonitor();
  follower?.stop();
  if (!opts.json) out.write(c.dim(stoppedElsewhere ? '\nthe stack was stopped from elsewhere\n' : '\nstopping the stack (Ctrl-C again to kill it now)…\n'));
  const stopped = await stopServices(ctx, { stateDir, keys: current.nodes.map((n) => n.key) });
  const forced = interrupts.force.signal.aborted;
  logger?.log({ event: 'shutdown', reason: forced ? 'forced' : interrupts.reason, stopped: stopped.map((s) => s.key), duration_ms: Date.now() - t });
  if (forced) return 130;
  if (!opts.json && !stoppedElsewhere) out.write(c.dim(`stopped in ${Date.now() - t} ms\n`));
  return 0;
}
