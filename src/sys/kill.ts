// Killing a service's processes: its group, its descendants and anything that
// escaped both (setsid daemons carry the service's env marker). Every signal
// goes through safeKill: never pid 0 or 1, never -1, never devport itself, an
// ancestor of it, or its own group.

import { generationStats, ownPgid, protectedPids, readStat, type Generation } from './procfs.js';

/** Sends `signal` to a pid (> 0) or a group (< 0) unless that target is one devport must never touch. */
export function safeKill(target: number, signal: NodeJS.Signals | number): boolean {
  if (!Number.isSafeInteger(target) || target === 0) return false;
  const id = Math.abs(target);
  if (id <= 1 || protectedPids().has(id)) return false;
  if (target < 0 && id === ownPgid()) return false;
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * The processes of a generation, remembered once seen: a dying process loses
 * what identified it (its environment, its parent link) before it is gone, so
 * each poll adds what a new scan finds to what earlier scans found, and a
 * remembered process counts until its (pid, start time) no longer runs.
 */
export class GenerationTracker {
  readonly #known = new Map<number, number>();

  constructor(readonly gen: Generation) {}

  /** Scans again; returns every remembered process still running. */
  scan(): number[] {
    for (const s of generationStats(this.gen)) this.#known.set(s.pid, s.start);
    const alive: number[] = [];
    for (const [pid, start] of this.#known) {
      const s = readStat(pid);
      if (s && s.start === start && s.state !== 'Z' && s.state !== 'X') alive.push(pid);
      else this.#known.delete(pid);
    }
    return alive;
  }

  /** Sends `signal` to the child's group and to every process of the generation. Returns what was signalled. */
  signal(signal: NodeJS.Signals): number[] {
    if (this.gen.pgid !== null) safeKill(-this.gen.pgid, signal);
    const pids = this.scan();
    for (const pid of pids) safeKill(pid, signal);
    return pids;
  }

  /** Waits until no process of the generation is left; returns the survivors at the deadline. */
  async waitGone(timeoutMs: number, everyMs = 10): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = this.scan();
      if (left.length === 0 || Date.now() >= deadline) return left;
      await sleep(everyMs);
    }
  }

  /** SIGKILL everything of the generation, until nothing is left (or `timeoutMs`). */
  async kill(timeoutMs = 3000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Again each round: something may have forked between the scan and the kill.
      this.signal('SIGKILL');
      const left = await this.waitGone(Math.min(200, Math.max(0, deadline - Date.now())));
      if (left.length === 0 || Date.now() >= deadline) return left;
    }
  }
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
