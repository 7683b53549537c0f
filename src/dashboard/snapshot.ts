// The stack as the dashboard shows it: every state dir (inventory, the one
// reader of state.json and the locks) with names and parents from plan.json.

import path from 'node:path';
import type { Plan } from '../plan/types.js';
import { readRunningPlan } from '../stack/running-plan.js';
import { readEntry, inventory, type Entry } from '../state/inventory.js';
import type { StateFile } from '../state/types.js';
import type { NodeView, Snapshot } from './types.js';

/** plan.json, read again only when `up` rewrote it. */
export class PlanCache {
  #plan: Plan | undefined;
  #read = 0;
  constructor(private readonly stateDir: string) {}
  get(maxAgeMs = 500): Plan | undefined {
    if (this.#plan === undefined || Date.now() - this.#read > maxAgeMs) {
      this.#plan = readRunningPlan(this.stateDir);
      this.#read = Date.now();
    }
    return this.#plan;
  }
}

export function viewOf(key: string, alive: boolean, file: StateFile | undefined, plan: Plan | undefined, problem: string | null = null): NodeView {
  const node = plan?.nodes.find((n) => n.key === key);
  const s = file?.state;
  // A record a dead sidecar left mid-run says nothing true about now.
  const state = !s ? (problem ? 'untrusted' : 'missing') : alive || s.state === 'stopped' || s.state === 'completed' || s.state === 'failed' ? s.state : 'dead';
  return {
    key,
    name: node?.name ?? key,
    type: s?.type ?? node?.kind ?? 'exec',
    alive,
    state,
    health: s?.health ?? null,
    url: s?.url ?? node?.url ?? null,
    port: s?.port ?? node?.port ?? null,
    pid: alive ? (s?.pid ?? null) : null,
    generation: s?.generation ?? 0,
    restarts: s?.restarts ?? 0,
    started_at: file?.supervisor.started_at ?? null,
    since: s?.since ?? null,
    depends_on: file?.supervisor.depends_on ?? node?.dependsOn.map((d) => d.key) ?? [],
    parent: node?.parent ?? null,
    reason: s?.reason ?? null,
    exit_code: s?.exit_code ?? null,
    build: s?.build ?? null,
    reload: s?.reload ?? null,
    problem,
  };
}

export function viewOfEntry(e: Entry, plan: Plan | undefined): NodeView {
  return viewOf(e.key, e.alive, e.state, plan, e.problem ?? null);
}

export function readView(stateDir: string, key: string, plan: Plan | undefined): NodeView {
  return viewOfEntry(readEntry(stateDir, key), plan);
}

export function snapshot(stateDir: string, plans: PlanCache, self: string | null): Snapshot {
  const plan = plans.get(0);
  const entries = inventory(stateDir);
  // Plan order (dependency waves) first, then whatever else has a state dir.
  const order = plan ? plan.waves.flat() : [];
  const rank = (k: string) => {
    const i = order.indexOf(k);
    return i === -1 ? order.length : i;
  };
  const nodes = entries.map((e) => viewOfEntry(e, plan)).sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
  return { project: path.dirname(stateDir), spec: plan?.spec ?? null, self, nodes };
}
