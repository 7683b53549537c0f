// "The stack is ready": the `ready` event with --json, the summary otherwise.
// After a reconcile the services it left alone are shown as they are: one
// that had failed before is not reported healthy because nothing changed.

import path from 'node:path';
import type { Plan } from '../plan/types.js';
import { stateFileOf } from '../state/read.js';
import type { ServiceStateName } from '../state/types.js';
import { renderSummary } from './summary.js';
import type { UpContext } from './up-context.js';
import { isReady } from './wait.js';

/** The keys among `keys` whose service is not ready now, with their state. */
export function notReadyOf(plan: Plan, keys: Iterable<string>): Map<string, ServiceStateName> {
  const wanted = new Set(keys);
  const out = new Map<string, ServiceStateName>();
  for (const node of plan.nodes) {
    if (!wanted.has(node.key)) continue;
    const s = stateFileOf(path.join(plan.stateDir, node.key))?.state;
    if (!s) continue;
    if (!isReady(node, s)) out.set(node.key, s.state);
  }
  return out;
}

export function reportReady(ctx: UpContext, plan: Plan, elapsedMs: number, opts: { daemon: boolean; notReady?: ReadonlyMap<string, ServiceStateName> }): void {
  const notReady = opts.notReady ?? new Map<string, ServiceStateName>();
  if (ctx.opts.json) {
    ctx.logger?.log({
      event: 'ready',
      services: plan.nodes.map((node) => ({ service: node.key, url: node.url, port: node.port, state: notReady.get(node.key) ?? (node.kind === 'task' ? 'completed' : 'healthy') })),
      duration_ms: elapsedMs,
    });
  } else ctx.out.write(renderSummary(plan, { color: ctx.color, elapsedMs, daemon: opts.daemon, tmux: ctx.useTmux, notReady }));
}
