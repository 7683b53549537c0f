// A running stack seen from the foreground `up`: each service's state as its
// sidecar writes it (inotify on the state dirs, a slow poll as the net), and
// whether any sidecar of this run is still alive.

import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Plan, PlanNode } from '../plan/types.js';
import { lockedDirs } from '../state/lock.js';
import { stateFileOf, stateOfRun } from '../state/read.js';
import type { BuildRecord, ReloadRecord, ServiceRecord } from '../state/types.js';

export interface MonitorOptions {
  /** A service's state changed (its state, health detail, restarts or generation). */
  onChange(node: PlanNode, s: ServiceRecord): void;
  /** Every sidecar of this run is gone (`devport down` from elsewhere, or they died). */
  onGone(states: (ServiceRecord | undefined)[]): void;
  /** A hot reload's build ended (ok true or false). */
  onBuild?(node: PlanNode, b: BuildRecord): void;
  /** A hot reload happened (a new generation, or reload_signal). */
  onReload?(node: PlanNode, r: ReloadRecord): void;
  pollMs?: number;
}

export function monitorStack(plan: Plan, opts: MonitorOptions): { stop(): void } {
  const last = new Map<string, string>();
  const lastBuild = new Map<string, string>();
  const lastReload = new Map<string, string>();
  const watchers: FSWatcher[] = [];
  const dirs = plan.nodes.map((n) => path.join(plan.stateDir, n.key));
  let stopped = false;
  const check = () => {
    if (stopped) return;
    const states = plan.nodes.map((n) => stateOfRun(stateFileOf(path.join(plan.stateDir, n.key)), plan.runId));
    plan.nodes.forEach((node, i) => {
      const s = states[i];
      if (!s) return;
      // A finished build and a reload are events of their own, each reported once.
      const b = s.build;
      if (b && b.ok !== null && lastBuild.get(node.key) !== b.started_at) {
        const seen = lastBuild.has(node.key) || last.has(node.key);
        lastBuild.set(node.key, b.started_at);
        if (seen) opts.onBuild?.(node, b);
      }
      const r = s.reload;
      if (r && lastReload.get(node.key) !== r.at) {
        const seen = lastReload.has(node.key) || last.has(node.key);
        lastReload.set(node.key, r.at);
        if (seen) opts.onReload?.(node, r);
      }
      const sig = `${s.state}|${s.health?.detail ?? ''}|${s.restarts}|${s.generation}`;
      if (last.get(node.key) === sig) return;
      const first = !last.has(node.key);
      last.set(node.key, sig);
      if (!first) opts.onChange(node, s);
    });
    if (lockedDirs(dirs).size === 0) {
      stop();
      opts.onGone(states);
    }
  };
  const stop = () => {
    stopped = true;
    clearInterval(timer);
    for (const w of watchers) w.close();
  };
  for (const dir of dirs) {
    try {
      watchers.push(watch(dir, { persistent: false }, check));
    } catch {
      /* the poll covers it */
    }
  }
  const timer = setInterval(check, opts.pollMs ?? 500);
  timer.unref();
  check();
  return { stop };
}
