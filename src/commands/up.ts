// `devport up`: plan, then (unless --dry-run) start the stack, or reconcile it
// when it runs. The spec is checked before the stack lock is taken: a mistake
// in it is reported even while another `up` holds the lock.

import { JsonLogger } from '../events/json-logger.js';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { failure, UserError } from '../errors/failure.js';
import { planEventNodes, renderPlanHuman } from '../plan/render.js';
import type { Plan } from '../plan/types.js';
import { decideChanges, isEmpty, renderChanges, untrustedLive } from '../stack/changes.js';
import { createPlanner } from '../stack/planner.js';
import { readRunningPlan } from '../stack/running-plan.js';
import { inventory } from '../state/inventory.js';
import { acquireLock } from '../state/lock.js';
import { colorEnabled, palette } from '../util/color.js';
import { parseDurationFlag, resolveSpecPath, splitList } from './common.js';
import { startMark } from '../util/start-trace.js';

export interface UpOptions {
  file?: string;
  spec?: string;
  json?: boolean;
  dryRun?: boolean;
  daemon?: boolean;
  tmux?: boolean;
  host?: string;
  only?: string[];
  waitTimeout?: string;
  keyboard?: boolean;
  keepOnFailure?: boolean;
  profile?: string[];
  fresh?: boolean;
  dashboard?: boolean;
}

/** An address to bind: an IPv4 or IPv6 literal, or localhost (a name would need a lookup, and could change). */
function checkHost(host: string | undefined): void {
  if (host === undefined || host === 'localhost' || isIP(host) !== 0) return;
  throw new UserError([failure('USAGE', `--host ${host} is not an address to bind`, { hint: 'write --host 127.0.0.1, --host 0.0.0.0 (the LAN) or --host ::1' })]);
}

export async function up(opts: UpOptions): Promise<number> {
  startMark('up-start');
  const cwd = process.cwd();
  // Every flag is checked before anything is planned or started (a dry run included).
  checkHost(opts.host);
  const waitTimeoutMs = opts.waitTimeout === undefined ? undefined : parseDurationFlag('--wait-timeout', opts.waitTimeout);
  const planner = createPlanner(resolveSpecPath({ file: opts.file, spec: opts.spec, cwd }), { env: process.env, host: opts.host, only: splitList(opts.only), profiles: splitList(opts.profile), dashboard: opts.dashboard === true });
  // The common case plans once: the stack lock is free, so it is taken first and the plan made
  // under it. Held (another `up` runs), the spec is still checked first, so a mistake in it is
  // reported before "already running"; a dry run and a first `up` (no .devport/ yet) never lock here.
  const early = opts.dryRun || !existsSync(planner.stateDir) ? undefined : await acquireLock(planner.stateDir, 0);
  const held = early?.ok ? early.lock : undefined;
  // Ports this stack already holds stay its own (a dry run beside a running stack shows the live ones).
  let planned;
  try {
    planned = await planner.plan();
    if (!planned.ok) throw new UserError(planned.failures);
  } catch (err) {
    held?.release();
    throw err;
  }
  startMark('up-planned');
  if (opts.dryRun) {
    const plan = planned.plan;
    if (opts.json) {
      new JsonLogger().log({
        event: 'plan',
        spec: plan.spec,
        tmux_session: plan.tmuxSession,
        isolation_id: plan.isolationId,
        waves: plan.waves,
        services: planEventNodes(plan),
        stack_env_names: Object.keys(plan.stackEnv),
        dry_run: true,
      });
    } else {
      const color = colorEnabled(process.stdout);
      process.stdout.write(renderPlanHuman(plan, { color, cwd }) + whatWouldChange(plan, planned.specKeys, color));
    }
    return 0;
  }
  const { runUp } = await import('../stack/run-up.js');
  return runUp(planner, {
    json: opts.json === true,
    daemon: opts.daemon === true,
    tmux: opts.tmux,
    waitTimeoutMs,
    keyboard: opts.keyboard !== false && !opts.daemon,
    keepOnFailure: opts.keepOnFailure === true,
    fresh: opts.fresh === true,
    ...(held ? { held: { lock: held, planned } } : {}),
  });
}

/** Beside a running stack, a dry run also says what `up` would change in it. */
function whatWouldChange(plan: Plan, specKeys: ReadonlySet<string>, color: boolean): string {
  const entries = inventory(plan.stateDir);
  if (!entries.some((e) => e.alive)) return '';
  const c = palette(color);
  const untrusted = untrustedLive(entries);
  if (untrusted.length > 0) return `\n${c.bold('the stack is running:')} ${c.dim(`\`devport up\` would refuse: ${untrusted[0]?.message ?? ''}`)}\n`;
  const changes = decideChanges(readRunningPlan(plan.stateDir), plan, entries, specKeys);
  return `\n${c.bold('the stack is running:')} ${c.dim(isEmpty(changes) ? '`devport up` would change nothing' : '`devport up` would')}\n${renderChanges(changes, c)}`;
}
