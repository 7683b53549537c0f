// What the router knows about its exec upstreams: their ports (from the plan)
// and their states (each sidecar's state.json, watched). A request to an
// upstream that is restarting waits here until it is healthy again.

import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Plan } from '../plan/types.js';
import { isLocked } from '../state/lock.js';
import { stateFileOf } from '../state/read.js';
import type { ServiceRecord } from '../state/types.js';

/** States after which the upstream will (probably) be back: hold the request. */
const COMING_BACK = new Set(['pending', 'starting', 'reloading', 'building', 'backoff']);

export interface Upstream {
  key: string;
  port: number | null;
  dir: string;
  /** Learned: the address that answered (a dev server may bind only ::1). */
  host: string;
  state: ServiceRecord | undefined;
  /** What a capture records of it: one object per generation, shared by its requests. */
  captured?: { key: string; generation: number | null };
}

export class Upstreams {
  readonly #byKey = new Map<string, Upstream>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #watchers: FSWatcher[] = [];
  #poll: NodeJS.Timeout | undefined;

  constructor(plan: Plan, keys: readonly string[]) {
    for (const key of keys) {
      const node = plan.nodes.find((n) => n.key === key);
      const dir = path.join(plan.stateDir, key);
      this.#byKey.set(key, { key, port: node?.port ?? null, dir, host: '127.0.0.1', state: undefined });
    }
  }

  start(): void {
    for (const u of this.#byKey.values()) {
      this.refresh(u);
      try {
        this.#watchers.push(watch(u.dir, { persistent: false }, () => this.refresh(u)));
      } catch {
        /* the poll covers a dir that is not there yet */
      }
    }
    // A safety net for missed events, and for sidecars that die without a last write.
    this.#poll = setInterval(() => {
      for (const u of this.#byKey.values()) this.refresh(u);
    }, 1000);
    this.#poll.unref();
  }

  stop(): void {
    clearInterval(this.#poll);
    for (const w of this.#watchers) w.close();
    for (const set of this.#waiters.values()) for (const wake of set) wake();
  }

  get(key: string): Upstream | undefined {
    return this.#byKey.get(key);
  }

  refresh(u: Upstream): void {
    u.state = stateFileOf(u.dir)?.state;
    const waiters = this.#waiters.get(u.key);
    if (waiters && waiters.size > 0 && this.verdict(u) !== 'wait') {
      this.#waiters.delete(u.key);
      for (const wake of waiters) wake();
    }
  }

  /** forward: send it; wait: it is coming back; fail: it will not come back on its own. */
  verdict(u: Upstream): 'forward' | 'wait' | 'fail' {
    const s = u.state;
    if (!s) return 'wait';
    if (s.state === 'healthy' || s.state === 'unhealthy') return 'forward';
    if (COMING_BACK.has(s.state)) return 'wait';
    return 'fail';
  }

  /** Resolves when the upstream can take the request, or false after `timeoutMs` or a final state. */
  async whenReady(u: Upstream, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.refresh(u);
      const v = this.verdict(u);
      if (v === 'forward') return true;
      if (v === 'fail' || Date.now() >= deadline || signal?.aborted) return false;
      await new Promise<void>((resolve) => {
        const set = this.#waiters.get(u.key) ?? new Set();
        this.#waiters.set(u.key, set);
        const wake = () => {
          clearTimeout(t);
          set.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        const t = setTimeout(wake, Math.min(250, Math.max(0, deadline - Date.now())));
        set.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /** Whether the upstream's sidecar is alive (for the 502 page). */
  alive(u: Upstream): boolean {
    return isLocked(u.dir);
  }
}
