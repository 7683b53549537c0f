// The stack's environment outside the stack: what `devport env` prints and
// `devport run` gives a command. The running stack's (its plan.json: the live
// ports) when any of it runs, else what `up` would plan now.

import { UserError } from '../errors/failure.js';
import { childEnv } from '../plan/child-env.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { inventory } from '../state/inventory.js';
import { createPlanner } from './planner.js';
import { readRunningPlan } from './running-plan.js';

export async function currentPlan(specFile: string, stateDir: string): Promise<Plan> {
  if (inventory(stateDir).some((e) => e.alive)) {
    const running = readRunningPlan(stateDir);
    if (running) return running;
  }
  const planned = await createPlanner(specFile, { env: process.env }).plan();
  if (!planned.ok) throw new UserError(planned.failures);
  return planned.plan;
}

/** Names that belong to one child only: its port, its bind address, its key. */
const PER_CHILD = new Set(['PORT', 'HOST', 'DEVPORT_KEY']);

/**
 * What the spec and devport set for the whole stack, by name: env_file entries, [env] entries that
 * are the same for every service, every <PREFIX>_PORT / _URL, DEVPORT_PROJECT_DIR and DEVPORT_ID.
 * Not the caller's own environment (that is the caller's already).
 */
export function stackValues(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  const fromFiles = new Set<string>();
  for (const n of plan.nodes) for (const name of n.envNames) if (Object.hasOwn(plan.baseEnv, name)) fromFiles.add(name);
  for (const name of fromFiles) out[name] = plan.baseEnv[name] ?? '';
  Object.assign(out, plan.sharedEnv, plan.stackEnv);
  const any = plan.nodes[0];
  if (any) {
    for (const name of ['DEVPORT_PROJECT_DIR', 'DEVPORT_ID']) if (Object.hasOwn(any.ownEnv, name)) out[name] = any.ownEnv[name] ?? '';
  }
  for (const k of PER_CHILD) delete out[k];
  return out;
}

/** What the spec and devport set for one service's child (its envNames), with their values. */
export function serviceValues(plan: Plan, node: PlanNode): Record<string, string> {
  const env = childEnv(plan, node);
  const out: Record<string, string> = {};
  for (const name of [...node.envNames].sort()) if (Object.hasOwn(env, name)) out[name] = env[name] ?? '';
  return out;
}
