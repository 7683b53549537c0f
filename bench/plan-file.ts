// What `up` hands a sidecar: the plan of a spec, written as plan.json (run id "bench"),
// for benchmarks that start one sidecar by itself.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makePlan } from '../src/plan/plan.js';
import { loadSpec } from '../src/spec/load.js';

/** Writes `spec` as dir/devport.toml and its plan as dir/plan.json; returns the plan's path. */
export async function writePlan(dir: string, spec: string): Promise<string> {
  writeFileSync(path.join(dir, 'devport.toml'), spec);
  const loaded = loadSpec(path.join(dir, 'devport.toml'));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.failures));
  const plan = await makePlan(loaded.value, { env: process.env });
  if (!plan.ok) throw new Error(JSON.stringify(plan.failures));
  const file = path.join(dir, 'plan.json');
  writeFileSync(file, JSON.stringify({ ...plan.value, runId: 'bench' }));
  return file;
}
