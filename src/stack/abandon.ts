// A start that failed (or was interrupted) stops what it started, and only
// that: the sidecars of its run. The plan goes first, so a sidecar that takes
// its lock from then on finds a plan.json that is not the one it read and
// starts nothing (nobody would be left to stop it).

import { unlinkSync } from 'node:fs';
import type { Stopped } from './down.js';
import { writePlanFile } from './launch.js';
import type { Plan } from '../plan/types.js';
import { stopServices } from './stop-services.js';
import type { UpContext } from './up-context.js';

/**
 * `plan: 'remove'` for a fresh up (nothing else runs from it); `'rewrite'` for a reconcile:
 * the services left running still need it, and a rewrite is a new file (another inode) too.
 */
export async function abandonStart(ctx: UpContext, plan: Plan, keys: readonly string[], planFile: string, planAction: 'remove' | 'rewrite'): Promise<Stopped[]> {
  if (planAction === 'remove') {
    try {
      unlinkSync(planFile);
    } catch {
      /* already gone */
    }
  } else writePlanFile(plan);
  return stopServices(ctx, { stateDir: plan.stateDir, keys, runId: plan.runId });
}
