// The plan the running stack was started from (.devport/plan.json, written by
// the last `up`): what a reconcile compares the new plan with. Read like any
// file devport did not necessarily write; anything unreadable is no plan.

import path from 'node:path';
import { revivePlan } from '../plan/child-env.js';
import type { Plan, StoredPlan } from '../plan/types.js';
import { PLAN_FILE } from '../state/dirs.js';
import { readRegularFile } from '../util/read-file.js';

/** 2,000 services of ~1 KiB each and their shared environment, with room to spare. */
const MAX_PLAN_BYTES = 64 * 1024 * 1024;

export function readRunningPlan(stateDir: string): Plan | undefined {
  const r = readRegularFile(path.join(stateDir, PLAN_FILE), { maxBytes: MAX_PLAN_BYTES, noFollow: true });
  if (!r.ok) return undefined;
  try {
    return revivePlan(JSON.parse(r.text) as StoredPlan);
  } catch {
    return undefined;
  }
}
