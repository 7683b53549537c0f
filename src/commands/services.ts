// Naming services on the command line: by key, or by name as written in the spec.

import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import { readJson } from '../state/atomic.js';
import { listServiceDirs, PLAN_FILE } from '../state/dirs.js';
import { closest } from '../spec/suggest.js';

/**
 * Keys for the names given (all state dirs when none), or SERVICE_UNKNOWN with a did-you-mean —
 * NOT_RUNNING when nothing of this stack has ever run (there is nothing to name yet).
 */
export function resolveServices(stateDir: string, names: readonly string[]): string[] {
  const keys = listServiceDirs(stateDir);
  if (names.length === 0) return keys;
  if (keys.length === 0) {
    throw new UserError([failure('NOT_RUNNING', `nothing of this stack has run yet (${names.join(', ')})`, { hint: 'start it with `devport up` (or `devport start <service>`)' })]);
  }
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
        hint: near ? `did you mean "${near}"?` : `the services are: ${keys.join(', ')}`,
      }),
    );
  }
  if (failures.length > 0) throw new UserError(failures);
  return out;
}

/** A key's name as written in the spec (from the running plan), or the key itself. */
export function namesByKey(stateDir: string): Map<string, string> {
  const plan = readJson<Plan>(path.join(stateDir, PLAN_FILE));
  return new Map((plan?.nodes ?? []).map((n) => [n.key, n.name]));
}
