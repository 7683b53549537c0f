// `devport start <svc…>` (and `restart` of a service whose sidecar died):
// launch those services' sidecars into the stack with what they depend on
// that is not running, wait until they are ready, leave everything else
// alone. From the running stack's plan when there is one (the plan the rest
// of the stack runs with: same ports, same env), else from the spec.

import { failure, UserError } from '../errors/failure.js';
import { JsonLogger } from '../events/json-logger.js';
import type { Plan } from '../plan/types.js';
import { inventory } from '../state/inventory.js';
import { colorEnabled } from '../util/color.js';
import { abandonStart } from './abandon.js';
import { Interrupts } from './interrupts.js';
import { Output } from './output.js';
import { createPlanner } from './planner.js';
import { readRunningPlan } from './running-plan.js';
import { lockStackForStart } from './stack-lock.js';
import { preflight, progressMode, startNodes } from './start-nodes.js';
import { tmuxAvailable } from './tmux.js';
import { forRun, makeContext } from './up-context.js';

export interface StartOptions {
  specFile: string;
  stateDir: string;
  /** Keys or names, as given. */
  names: readonly string[];
  json: boolean;
  tmux: boolean | undefined;
  waitTimeoutMs: number | undefined;
  /** false: no `ready` event or lines (`restart` reports for all its services itself). */
  report?: boolean;
}

/** The named keys and, transitively, what they depend on. */
export function withDependencies(plan: Plan, keys: readonly string[]): string[] {
  const out = new Set<string>();
  const add = (key: string) => {
    if (out.has(key)) return;
    out.add(key);
    for (const d of plan.nodes.find((n) => n.key === key)?.dependsOn ?? []) add(d.key);
  };
  keys.forEach(add);
  return plan.nodes.map((n) => n.key).filter((k) => out.has(k));
}

function keysOf(plan: Plan, names: readonly string[]): string[] {
  const failures = [];
  const keys: string[] = [];
  for (const name of names) {
    const node = plan.nodes.find((n) => n.key === name) ?? plan.nodes.find((n) => n.name === name);
    if (node) keys.push(node.key);
    else failures.push(failure('SERVICE_UNKNOWN', `no service "${name}" in the running stack`, { hint: `the services are: ${plan.nodes.map((n) => n.key).join(', ')}; a service new in devport.toml joins with \`devport up\`` }));
  }
  if (failures.length > 0) throw new UserError(failures);
  return keys;
}

export async function startServices(opts: StartOptions): Promise<number> {
  const t0 = Date.now();
  const interrupts = new Interrupts();
  const out = new Output((why) => interrupts.stop(why));
  const color = !opts.json && colorEnabled(process.stdout);
  const logger = opts.json ? new JsonLogger((t) => out.write(t)) : undefined;
  const lock = await lockStackForStart(opts.stateDir);
  try {
    const entries = inventory(opts.stateDir);
    const alive = new Set(entries.filter((e) => e.alive).map((e) => e.key));
    let base = alive.size > 0 ? readRunningPlan(opts.stateDir) : undefined;
    if (!base) {
      const planned = await createPlanner(opts.specFile, { env: process.env }).plan();
      if (!planned.ok) throw new UserError(planned.failures);
      base = planned.plan;
    }
    const wanted = withDependencies(base, keysOf(base, opts.names));
    const keys = wanted.filter((k) => !alive.has(k));
    const useTmux = opts.tmux ?? (entries.some((e) => e.alive && e.state?.supervisor.tmux) || (alive.size === 0 && tmuxAvailable()));
    const ctx = makeContext({ json: opts.json, daemon: true, tmux: opts.tmux, waitTimeoutMs: opts.waitTimeoutMs, keyboard: false, keepOnFailure: false }, interrupts, out, logger, color, useTmux);
    if (keys.length === 0) {
      ctx.say(`already running: ${wanted.join(', ')}`);
      return 0;
    }
    const live = forRun(base);
    const early = preflight(live, keys);
    if (early.length > 0) throw new UserError(early);
    if (!opts.json) out.write(`${ctx.c.bold('devport start')} ${ctx.c.dim(keys.join(', '))}\n`);
    const started = await startNodes(ctx, live, keys, progressMode(ctx, false), t0);
    if (!started.result.ok) {
      const stopped = await abandonStart(ctx, live, keys, started.planFile, 'rewrite');
      logger?.log({ event: 'shutdown', reason: started.result.reason === 'interrupted' ? interrupts.reason : 'start failed', stopped: stopped.map((s) => s.key), duration_ms: Date.now() - t0 });
      if (started.result.reason === 'interrupted') return 130;
      throw new UserError(started.result.failures);
    }
    const services = live.nodes.filter((n) => keys.includes(n.key));
    if (opts.report === false) return 0;
    if (opts.json) logger?.log({ event: 'ready', services: services.map((n) => ({ service: n.key, url: n.url, port: n.port, state: n.kind === 'task' ? 'completed' : 'healthy' })), duration_ms: Date.now() - t0 });
    else for (const n of services) out.write(`${ctx.c.green('●')} ${ctx.c.bold(n.key)} ${ctx.c.dim(n.url ?? (n.kind === 'task' ? 'completed' : 'running'))}\n`);
    return 0;
  } finally {
    interrupts.dispose();
    lock?.release();
  }
}

/** For `restart`: which of these keys have no live sidecar (they are started, not restarted). */
export function deadKeys(stateDir: string, keys: readonly string[]): string[] {
  const alive = new Set(inventory(stateDir).filter((e) => e.alive).map((e) => e.key));
  return keys.filter((k) => !alive.has(k));
}
