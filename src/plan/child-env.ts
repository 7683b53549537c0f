// A child's whole environment, put together from the plan's layers where the
// child is spawned. Lowest precedence first:
//
//   plan.baseEnv    the caller's environment (minus the deny-list and reserved names), env_file
//   plan.sharedEnv  [env] entries whose value is the same for every node
//   plan.stackEnv   <PREFIX>_PORT / <PREFIX>_URL of every node
//   node.ownEnv     the node's other [env] entries, its service env, DATABASE_URL when isolation
//                   rewrote it, PORT, HOST, DEVPORT_*
//
// A name is in two layers only where the higher one overrides on purpose (ownEnv over
// sharedEnv and baseEnv): baseEnv never holds reserved names, and the spec rejects reserved
// names in [env] and a service's env, so stackEnv shares no name with the others. The result
// is what a whole per-node copy held before (makePlan in plan.ts builds the layers).
//
// Stack-wide parts are stored once, so a plan grows with n × (environment size), not n².
// No heavy imports: sidecars load this.

import type { Plan, PlanNode, StoredPlan, StoredPlanNode } from './types.js';

export type EnvLayers = Pick<Plan, 'baseEnv' | 'sharedEnv' | 'stackEnv'>;

/** The whole environment of a node's child, as a new object. */
export function childEnv(plan: EnvLayers, node: Pick<PlanNode, 'ownEnv'>): Record<string, string> {
  return { ...plan.baseEnv, ...plan.sharedEnv, ...plan.stackEnv, ...node.ownEnv };
}

/** `o[k]` if `o` has it as its own property (so `constructor` is never "set"). */
export function ownValue(o: Readonly<Record<string, string>>, k: string): string | undefined {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** Gives every node its `env` view: childEnv, made on first read, not enumerable (so not in plan.json). */
export function withEnvViews(plan: StoredPlan): Plan {
  for (const node of plan.nodes) {
    let env: Readonly<Record<string, string>> | undefined;
    Object.defineProperty(node, 'env', {
      configurable: true,
      enumerable: false,
      get: () => (env ??= Object.freeze(childEnv(plan, node))),
    });
  }
  return plan as Plan;
}

/** A plan read back from plan.json (JSON.parse of what `up` wrote) as a Plan. */
export function revivePlan(stored: StoredPlan): Plan {
  const isRecord = (v: unknown) => typeof v === 'object' && v !== null;
  const nodes: unknown = stored.nodes;
  if (stored.version !== 2 || !isRecord(stored.baseEnv) || !isRecord(stored.sharedEnv) || !isRecord(stored.stackEnv) || !Array.isArray(nodes) || !nodes.every((n: StoredPlanNode) => isRecord(n) && isRecord(n.ownEnv))) {
    throw new Error(`the plan (version ${String((stored as { version?: unknown }).version)}) is not one this devport reads (version 2): was devport changed while \`up\` ran? Run \`devport up\` again`);
  }
  return withEnvViews(stored);
}
