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

/** Where each state may go next. `stopping` is reachable from everywhere but `stopped`. */
const NEXT: Record<ServiceStateName, readonly ServiceStateName[]> = {
  pending: ['building', 'starting', 'failed'],
  building: ['starting', 'backoff', 'crashloop', 'failed', 'healthy', 'unhealthy', 'exited'],
  starting: ['healthy', 'unhealthy', 'exited', 'completed', 'failed', 'backoff', 'crashloop', 'reloading', 'building', 'starting'],
  healthy: ['unhealthy', 'exited', 'completed', 'failed', 'backoff', 'crashloop', 'reloading', 'building', 'starting'],
  unhealthy: ['healthy', 'exited', 'completed', 'failed', 'backoff', 'crashloop', 'reloading', 'building', 'starting'],
  reloading: ['starting', 'building', 'healthy', 'unhealthy', 'exited', 'backoff', 'crashloop'],
  exited: ['starting', 'building'],
  completed: ['starting', 'building'],
  failed: ['starting', 'building'],
  backoff: ['starting', 'building', 'crashloop', 'backoff'],
  crashloop: ['starting', 'building', 'crashloop', 'backoff'],
  stopping: ['stopped'],
  stopped: [],
};

export function checkTransition(from: ServiceStateName, to: ServiceStateName): boolean {
  if (to === 'stopping') return from !== 'stopped' && from !== 'stopping';
  return NEXT[from].includes(to);
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
