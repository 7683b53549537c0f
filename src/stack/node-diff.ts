// Whether a running service is what a new plan asks for. Compared: every field
// of its PlanNode (command, cwd, port, host, health, restart, stop signal and
// timeout, build, watch keys, routes, depends_on…, and fields added later, by
// default), and its child's whole environment (childEnv: an env_file edit, an
// [env] change or another service's new port all count). Not compared: what is
// derived from those (envNames, url), the caller's terminal (TERMINAL_ENV), and
// the <PREFIX>_PORT/_URL of a service that was added or removed (the caller
// passes them): every child gets every service's, so comparing them would
// restart the whole stack whenever a service is added. A service that uses a
// new one names it (in its env or command) and so changes itself.

import { childEnv, type EnvLayers } from '../plan/child-env.js';
import type { StoredPlanNode } from '../plan/types.js';

/**
 * ownEnv is compared as part of the whole environment; envNames and env are views of it; url
 * follows from host and port; portSource (fixed or allocated) changes nothing in the process.
 */
const NOT_COMPARED: ReadonlySet<string> = new Set(['ownEnv', 'envNames', 'env', 'url', 'portSource']);

/** A field's name as the spec spells it, for "restarted: command, health changed". */
const LABELS: Readonly<Record<string, string>> = {
  kind: 'type',
  parent: 'proxy',
  stopSignal: 'stop_signal',
  stopTimeoutMs: 'stop_timeout',
  dependsOn: 'depends_on',
  watchIgnore: 'watch_ignore',
  watchDebounceMs: 'watch_debounce',
  reloadSignal: 'reload_signal',
  proxy: 'routes',
};

/**
 * What describes the caller's terminal, not the service: an `up` from another
 * terminal (or from inside tmux) must not restart every service. Like the
 * plan's deny-list (TMUX, PWD, SHLVL…), but these still reach new children.
 */
export const TERMINAL_ENV: ReadonlySet<string> = new Set([
  'TERM',
  'COLORTERM',
  'TERM_PROGRAM',
  'TERM_PROGRAM_VERSION',
  'TERM_SESSION_ID',
  'WINDOWID',
  'COLUMNS',
  'LINES',
  'SSH_TTY',
  'SSH_CLIENT',
  'SSH_CONNECTION',
  'GPG_TTY',
]);

/** JSON with object keys sorted: field order (an older plan.json) is no difference. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

/** The order of depends_on entries means nothing. */
function normalise(field: string, v: unknown): unknown {
  if (field === 'dependsOn' && Array.isArray(v)) return [...(v as { key: string }[])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return v;
}

/** Names whose value differs, was added or removed (names only: values may be secrets). */
export function envChanges(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>, ignore: ReadonlySet<string> = new Set()): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out: string[] = [];
  for (const n of names) {
    if (TERMINAL_ENV.has(n) || ignore.has(n)) continue;
    const a = Object.hasOwn(before, n) ? before[n] : undefined;
    const b = Object.hasOwn(after, n) ? after[n] : undefined;
    if (a !== b) out.push(n);
  }
  return out.sort();
}

/** The stack's names that only one of the plans has: those of added and removed services. */
export function comingAndGoing(runningPlan: EnvLayers, nextPlan: EnvLayers): Set<string> {
  const out = new Set<string>();
  for (const n of Object.keys(runningPlan.stackEnv)) if (!Object.hasOwn(nextPlan.stackEnv, n)) out.add(n);
  for (const n of Object.keys(nextPlan.stackEnv)) if (!Object.hasOwn(runningPlan.stackEnv, n)) out.add(n);
  return out;
}

/**
 * What differs between the running node and the planned one, in the spec's words; empty:
 * nothing. `ignoreEnv`: names not to compare (comingAndGoing).
 */
export function nodeChanges(runningPlan: EnvLayers, running: StoredPlanNode, nextPlan: EnvLayers, next: StoredPlanNode, ignoreEnv: ReadonlySet<string> = new Set()): string[] {
  const changed = new Set<string>();
  const a = running as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (NOT_COMPARED.has(field)) continue;
    if (canonical(normalise(field, a[field])) !== canonical(normalise(field, b[field]))) changed.add(LABELS[field] ?? field);
  }
  const env = envChanges(childEnv(runningPlan, running), childEnv(nextPlan, next), ignoreEnv);
  if (env.length > 0) changed.add(`env (${env.slice(0, 4).join(', ')}${env.length > 4 ? ` and ${env.length - 4} more` : ''})`);
  return [...changed];
}
