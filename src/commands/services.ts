// Naming services on the command line: by key, or by name as written in the spec.

import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import { readJson } from '../state/atomic.js';
import { listServiceDirs, PLAN_FILE } from '../state/dirs.js';
import { closest } from '../spec/suggest.js';

/** Keys for the names given (all state dirs when none), or SERVICE_UNKNOWN with a did-you-mean. */
export function resolveServices(stateDir: string, names: readonly string[]): string[] {
  const keys = listServiceDirs(stateDir);
  if (names.length === 0) return keys;
  const plan = readJson<Plan>(path.join(stateDir, PLAN_FILE));
  const byName = new Map((plan?.nodes ?? []).map((n) => [n.name, n.key]));
  const out: string[] = [];
  const failures = [];
  for (const name of names) {
    const key = keys.includes(name) ? name : byName.get(name);
    if (key && keys.includes(key)) {
      if (!out.includes(key)) out.push(key);
      continue;
    }
    const near = closest(name, [...keys, ...byName.keys()]);
    failures.push(
      failure('SERVICE_UNKNOWN', `no service "${name}" in this stack`, {
        hint: near ? `did you mean "${near}"?` : keys.length > 0 ? `the services are: ${keys.join(', ')}` : 'nothing has run here yet: `devport up`',
      }),
    );
  }
  if (failures.length > 0) throw new UserError(failures);
  return out;
}
