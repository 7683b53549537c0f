// Planning the stack from its spec, again and again: `up` plans once before it
// locks the stack (errors in the spec come first) and again under the lock (a
// running stack's ports are claimed then), and the foreground plans on every
// edit and on `r`. Each outcome carries what it was made from (Inputs), read
// before it was used, so an edit made meanwhile is never missed.

import path from 'node:path';
import type { Failure } from '../errors/failure.js';
import { DASHBOARD_KEY } from '../dashboard/key.js';
import { makePlan } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { loadSpec } from '../spec/load.js';
import { stackClaims } from './claims.js';
import { readInputs, type Inputs } from './spec-watch.js';

export type PlanOutcome =
  | {
      ok: true;
      plan: Plan;
      inputs: Inputs;
      /** Every key of the spec, also those --only leaves out (a reconcile stops only keys the spec no longer has). */
      specKeys: ReadonlySet<string>;
    }
  | { ok: false; failures: Failure[]; inputs: Inputs };

export interface Planner {
  specFile: string;
  stateDir: string;
  plan(): Promise<PlanOutcome>;
}

export interface PlannerOptions {
  env: NodeJS.ProcessEnv;
  host?: string | undefined;
  only?: readonly string[] | undefined;
  /** --profile: compose profiles added to every compose node. */
  profiles?: readonly string[] | undefined;
  /** --dashboard: the dashboard node too. */
  dashboard?: boolean | undefined;
}

export function createPlanner(specFile: string, opts: PlannerOptions): Planner {
  const stateDir = path.join(path.dirname(specFile), '.devport');
  // The env files of the last valid spec: an invalid spec names none, and edits to them still count.
  let envFiles: string[] = [];
  return {
    specFile,
    stateDir,
    async plan() {
      const specInput = readInputs([specFile]);
      const loaded = loadSpec(specFile);
      if (!loaded.ok) return { ok: false, failures: loaded.failures, inputs: readInputs([specFile, ...envFiles]) };
      const { spec, tree } = loaded.value;
      envFiles = [...new Set(spec.envFiles.map((e) => path.resolve(spec.dir, e.file)))];
      const fileInputs = readInputs(envFiles);
      const inputs: Inputs = { files: [specFile, ...envFiles], contents: new Map([...specInput.contents, ...fileInputs.contents]) };
      // Ports the stack holds stay its own: a reconcile never moves a running service.
      // A running dashboard (`up --dashboard`) stays too: a later `up` does not take it away.
      const claimed = stackClaims(stateDir);
      const planned = await makePlan(loaded.value, { env: opts.env, host: opts.host, only: opts.only, claimed, ...(opts.profiles ? { profiles: opts.profiles } : {}), dashboard: opts.dashboard === true || claimed.has(DASHBOARD_KEY) });
      if (!planned.ok) return { ok: false, failures: planned.failures, inputs };
      return { ok: true, plan: planned.value, inputs, specKeys: new Set(tree.map((n) => n.key)) };
    },
  };
}
