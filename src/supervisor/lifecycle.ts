// A service's lifecycle as a discriminated union. Every change goes through
// `checkTransition`; every consumer switches exhaustively.

import type { ServiceStateName } from '../state/types.js';
import type { ExitInfo } from './exit.js';

export type Lifecycle =
  | { state: 'pending'; waitingFor: string[] }
  | { state: 'building'; generation: number }
  | { state: 'starting'; generation: number }
  | { state: 'healthy'; generation: number }
  | { state: 'unhealthy'; generation: number; detail: string }
  | { state: 'reloading'; generation: number; trigger: string }
  | { state: 'exited'; exit: ExitInfo; reason: string }
  | { state: 'completed'; exit: ExitInfo }
  | { state: 'failed'; exit: ExitInfo; reason: string }
  | { state: 'backoff'; delayMs: number; attempt: number; reason: string }
  | { state: 'crashloop'; delayMs: number; attempt: number; reason: string }
  | { state: 'stopping'; reason: string }
  | { state: 'stopped'; reason: string };

/**
 * Where each state may go next: the only paths a service takes. `stopping` is
 * reachable from everywhere but `stopping` and `stopped`; `stopped` is final.
 * A state listed as its own successor may be re-entered with new details
 * (pending: the keys still waited for; backoff: the next attempt).
 */
export const NEXT: Readonly<Record<ServiceStateName, readonly ServiceStateName[]>> = {
  // A build or spawn can fail before any child ran: straight to backoff, exited or failed.
  pending: ['pending', 'building', 'starting', 'backoff', 'crashloop', 'exited', 'failed'],
  building: ['building', 'starting', 'backoff', 'crashloop', 'exited', 'failed'],
  starting: ['starting', 'building', 'healthy', 'unhealthy', 'reloading', 'exited', 'completed', 'failed', 'backoff', 'crashloop'],
  healthy: ['starting', 'building', 'unhealthy', 'reloading', 'exited', 'completed', 'failed', 'backoff', 'crashloop'],
  unhealthy: ['starting', 'building', 'healthy', 'reloading', 'exited', 'completed', 'failed', 'backoff', 'crashloop'],
  reloading: ['starting', 'building', 'healthy', 'unhealthy', 'exited', 'failed', 'backoff', 'crashloop'],
  exited: ['starting', 'building'],
  completed: ['starting', 'building'],
  failed: ['starting', 'building'],
  backoff: ['backoff', 'crashloop', 'starting', 'building', 'exited', 'failed'],
  crashloop: ['crashloop', 'backoff', 'starting', 'building', 'exited', 'failed'],
  stopping: ['stopped'],
  stopped: [],
};

export function checkTransition(from: ServiceStateName, to: ServiceStateName): boolean {
  if (to === 'stopping') return from !== 'stopped' && from !== 'stopping';
  return NEXT[from].includes(to);
}

/** A state change the table does not allow: a bug in devport, never a user error. */
export class IllegalTransition extends Error {
  constructor(
    readonly from: ServiceStateName,
    readonly to: ServiceStateName,
  ) {
    super(`illegal state transition ${from} → ${to}`);
  }
}

/** A one-line description for the pane, `ls` and errors. */
export function describeLifecycle(l: Lifecycle): string {
  switch (l.state) {
    case 'pending':
      return `waiting for ${l.waitingFor.join(', ')}`;
    case 'building':
      return `building (generation ${l.generation})`;
    case 'starting':
      return `starting (generation ${l.generation})`;
    case 'healthy':
      return 'healthy';
    case 'unhealthy':
      return `unhealthy: ${l.detail}`;
    case 'reloading':
      return `reloading: ${l.trigger}`;
    case 'exited':
      return l.reason;
    case 'completed':
      return 'completed (exit 0)';
    case 'failed':
      return l.reason;
    case 'backoff':
      return `${l.reason}; restarting in ${l.delayMs} ms`;
    case 'crashloop':
      return `crash loop (${l.attempt} failures); ${l.reason}; restarting in ${l.delayMs} ms`;
    case 'stopping':
      return `stopping: ${l.reason}`;
    case 'stopped':
      return `stopped: ${l.reason}`;
    default: {
      const never: never = l;
      return never;
    }
  }
}
