// What a reconcile does to a running stack, decided before anything is touched:
//
//   started    in the new plan, and no live sidecar: new, or its sidecar died (kill -9)
//   restarted  a live sidecar whose node differs from the running plan's (node-diff.ts),
//              or whose child gave up (exited, failed, crash loop): `up` means "make it run"
//   stopped    a live sidecar whose key the spec no longer has
//   unchanged  a live sidecar already running what the new plan asks for: left alone
//
// "Running plan" is .devport/plan.json as the last `up` wrote it. A live key it
// does not describe (no plan.json, one from another devport) cannot be compared
// and is restarted: a needless restart is better than a stale service.

import { failure, type Failure } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import type { Entry } from '../state/inventory.js';
import type { Palette } from '../util/color.js';
import { comingAndGoing, nodeChanges } from './node-diff.js';

export interface Changes {
  started: string[];
  restarted: string[];
  stopped: string[];
  unchanged: string[];
  /** Why each started, restarted and stopped key is in its list, in words. */
  why: Map<string, string>;
  /** Stopped before anything starts: the restarted and stopped keys, and removed keys whose dead sidecar left a child. */
  stop: string[];
  /** Launched once those are stopped: started and restarted, in plan order. */
  launch: string[];
}

/**
 * A live sidecar whose state cannot be trusted (a forged or unreadable state.json): a reconcile
 * would have to act on it without knowing what it runs. `down` stops it (proven by its lock and
 * command line); `up` refuses, as it did before reconciling existed.
 */
export function untrustedLive(entries: readonly Entry[]): Failure[] {
  const bad = entries.filter((e) => e.alive && e.problem !== undefined);
  if (bad.length === 0) return [];
  return [
    failure('ALREADY_RUNNING', `already running, and not reconciled: ${bad.map((e) => `${e.key} (${e.problem})`).join('; ')}`, {
      hint: '`devport down` stops the stack (it finds sidecars through their locks), then `devport up` starts it afresh',
    }),
  ];
}

/** A live sidecar whose child is not running and will not come back by itself, in words; undefined otherwise. */
function givenUp(e: Entry): string | undefined {
  const s = e.state?.state;
  if (!s) return undefined;
  switch (s.state) {
    case 'exited':
    case 'failed':
      return s.reason ?? s.state;
    case 'crashloop':
      return `crash-looped (${s.reason ?? 'exited'})`;
    default:
      return undefined;
  }
}

export function isEmpty(c: Changes): boolean {
  return c.stop.length === 0 && c.launch.length === 0;
}

export function decideChanges(running: Plan | undefined, next: Plan, entries: readonly Entry[], specKeys: ReadonlySet<string>): Changes {
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const runningNodes = new Map((running?.nodes ?? []).map((n) => [n.key, n]));
  const c: Changes = { started: [], restarted: [], stopped: [], unchanged: [], why: new Map(), stop: [], launch: [] };
  const planned = new Set(next.nodes.map((n) => n.key));
  const ignoreEnv = running ? comingAndGoing(running, next) : new Set<string>();

  for (const node of next.nodes) {
    const e = byKey.get(node.key);
    if (!e?.alive) {
      c.started.push(node.key);
      c.why.set(node.key, e || runningNodes.has(node.key) ? 'its supervisor was not running' : 'new');
      continue;
    }
    const was = runningNodes.get(node.key);
    const diff = running && was ? nodeChanges(running, was, next, node, ignoreEnv) : ['not in the running plan'];
    const gaveUp = givenUp(e);
    if (diff.length === 0 && gaveUp) {
      c.restarted.push(node.key);
      c.why.set(node.key, `it had ${gaveUp}`);
      continue;
    }
    if (diff.length === 0) {
      c.unchanged.push(node.key);
      continue;
    }
    c.restarted.push(node.key);
    c.why.set(node.key, running && was ? `${diff.join(', ')} changed` : diff.join(', '));
  }

  for (const e of entries) {
    if (planned.has(e.key)) continue;
    // --only leaves the rest of the spec as it is; only what the spec no longer has goes.
    if (specKeys.has(e.key)) {
      if (e.alive) c.unchanged.push(e.key);
      continue;
    }
    if (e.alive) {
      c.stopped.push(e.key);
      c.why.set(e.key, 'no longer in the spec');
      c.stop.push(e.key);
    } else if (e.state && e.state.state.state !== 'stopped') c.stop.push(e.key); // reaps what a dead sidecar left
  }
  c.stop.unshift(...c.restarted);
  const launching = new Set([...c.started, ...c.restarted]);
  c.launch = next.nodes.filter((n) => launching.has(n.key)).map((n) => n.key);
  return c;
}

/** A line per started, restarted and stopped service with why, and one for the rest. */
export function renderChanges(changes: Changes, c: Palette): string {
  const marked: [string, string][] = [
    ...changes.started.map((k): [string, string] => [c.green('+'), k]),
    ...changes.restarted.map((k): [string, string] => [c.cyan('↻'), k]),
    ...changes.stopped.map((k): [string, string] => [c.red('-'), k]),
  ];
  const width = Math.max(0, ...marked.map(([, k]) => k.length));
  let text = '';
  for (const [mark, key] of marked) text += `  ${mark} ${c.bold(key.padEnd(width))}  ${c.dim(changes.why.get(key) ?? '')}\n`;
  if (changes.unchanged.length > 0) text += `  ${c.dim(`= ${changes.unchanged.join(', ')} unchanged`)}\n`;
  if (marked.length === 0 && changes.unchanged.length === 0) text += `  ${c.dim('nothing to run')}\n`;
  return text;
}
