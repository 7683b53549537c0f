// Restart policy: exponential backoff (250 ms doubling to 30 s), reset after
// 10 s healthy; 5 failures within 60 s is a crash loop, retried at the max delay.

import type { RestartPolicy } from '../spec/model.js';
import type { ExitInfo } from './exit.js';

export const BACKOFF = {
  baseMs: 250,
  maxMs: 30_000,
  resetAfterHealthyMs: 10_000,
  crashloopFailures: 5,
  crashloopWindowMs: 60_000,
} as const;

export function shouldRestart(policy: RestartPolicy, exit: ExitInfo, stoppedByUs: boolean): boolean {
  if (stoppedByUs) return false;
  switch (policy) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'on-failure':
      return exit.signal !== null || exit.code !== 0;
    default: {
      const never: never = policy;
      return never;
    }
  }
}

export class Backoff {
  #attempt = 0;
  #failures: number[] = [];

  /** Records a failure at `now`; `healthyForMs` is how long the child had been healthy. */
  fail(now: number, healthyForMs: number): { delayMs: number; attempt: number; crashloop: boolean } {
    if (healthyForMs >= BACKOFF.resetAfterHealthyMs) this.#attempt = 0;
    this.#failures = [...this.#failures.filter((t) => now - t < BACKOFF.crashloopWindowMs), now];
    const crashloop = this.#failures.length >= BACKOFF.crashloopFailures;
    const delayMs = crashloop ? BACKOFF.maxMs : Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** this.#attempt);
    this.#attempt++;
    return { delayMs, attempt: this.#attempt, crashloop };
  }

  /** A manual restart starts the count afresh. */
  reset(): void {
    this.#attempt = 0;
    this.#failures = [];
  }
}
