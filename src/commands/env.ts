// `devport env [svc] [--json]`: the stack's environment (a service's, when
// named) as dotenv lines, for `source <(devport env)` or a script; --json: one object.

import { failure, UserError } from '../errors/failure.js';
import { closest } from '../spec/suggest.js';
import { currentPlan, serviceValues, stackValues } from '../stack/stack-env.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { stateDirOf } from './common.js';

/** A node by key or by name, or SERVICE_UNKNOWN with a did-you-mean. */
export function nodeNamed(plan: Plan, name: string): PlanNode {
  const node = plan.nodes.find((n) => n.key === name) ?? plan.nodes.find((n) => n.name === name);
  if (node) return node;
  const near = closest(name, plan.nodes.flatMap((n) => [n.key, n.name]));
  throw new UserError([
    failure('SERVICE_UNKNOWN', `no service "${name}" in this stack`, { hint: near ? `did you mean "${near}"?` : `the services are: ${plan.nodes.map((n) => n.key).join(', ')}` }),
  ]);
}

/** A dotenv value: bare when it is plain, else double-quoted with \, ", $, ` and newlines escaped. */
export function dotenvValue(v: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]*$/.test(v)) return v;
  return `"${v.replace(/[\\"$`]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

export async function env(opts: { file?: string; service?: string; json?: boolean }): Promise<number> {
  const { specFile, stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const plan = await currentPlan(specFile, stateDir);
  const values = opts.service ? serviceValues(plan, nodeNamed(plan, opts.service)) : stackValues(plan);
  if (opts.json) process.stdout.write(JSON.stringify(values) + '\n');
  else process.stdout.write(Object.entries(values).map(([k, v]) => `${k}=${dotenvValue(v)}\n`).join(''));
  return 0;
}
