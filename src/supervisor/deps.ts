// A sidecar starts its child only when what it depends on is ready: healthy,
// started, or (for tasks) completed, as the other sidecars' state.json say —
// the state of this run, or of a live sidecar (a dead one's is stale).
// Watched with inotify on each dependency's dir, with a slow poll as a net.

import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { PlanNode } from '../plan/types.js';
import { ensureServiceDir } from '../state/dirs.js';
import { isLocked } from '../state/lock.js';
import { stateFileOf } from '../state/read.js';

const STARTED = new Set(['starting', 'healthy', 'unhealthy', 'reloading', 'completed']);

/** Whether `dep`'s state satisfies the condition, for this run of the stack. */
export function dependencyReady(stateDir: string, dep: PlanNode['dependsOn'][number], runId: string | null): boolean {
  const dir = path.join(stateDir, dep.key);
  const s = stateFileOf(dir);
  if (!s) return false;
  // A state.json left by an earlier run says nothing about this one; a live sidecar of another
  // run does (an `up` that reconciles a running stack starts only what changed).
  if (!(runId !== null && s.supervisor.run_id === runId) && !isLocked(dir)) return false;
  switch (dep.condition) {
    case 'healthy':
      return s.state.state === 'healthy';
    case 'completed':
      return s.state.state === 'completed';
    case 'started':
      return STARTED.has(s.state.state);
    default: {
      const never: never = dep.condition;
      return never;
    }
  }
}

/** Resolves true when every dependency is ready, false if `signal` aborts first. */
export function waitForDependencies(
  stateDir: string,
  deps: PlanNode['dependsOn'],
  runId: string | null,
  signal: AbortSignal,
  onWaiting: (keys: string[]) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    const watchers: FSWatcher[] = [];
    let last = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (ok: boolean) => {
      clearInterval(timer);
      for (const w of watchers) w.close();
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => finish(false);
    const check = () => {
      const waiting = deps.filter((d) => !dependencyReady(stateDir, d, runId)).map((d) => d.key);
      if (waiting.length === 0) return finish(true);
      if (waiting.join() !== last) {
        last = waiting.join();
        onWaiting(waiting);
      }
    };
    if (signal.aborted) return resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    for (const d of deps) {
      try {
        const dir = ensureServiceDir(stateDir, d.key);
        watchers.push(watch(dir, { persistent: false }, check));
      } catch {
        /* the poll still sees it */
      }
    }
    timer = setInterval(check, 250);
    check();
  });
}
