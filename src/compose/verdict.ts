// What a compose node's containers add up to: one state for the node.
// Docker's restart policy is compose's to apply; devport only reports it.

import type { PlanCompose } from '../plan/types.js';
import type { ContainerInfo } from './docker.js';

export type Verdict =
  | { state: 'starting' | 'healthy' | 'unhealthy'; detail: string }
  | { state: 'backoff'; detail: string; exitCode: number }
  | { state: 'exited' | 'failed'; detail: string; exitCode: number | null; container: ContainerInfo | null };

function exitWords(c: ContainerInfo): string {
  return `container ${c.name} exited with code ${c.exitCode}${c.oomKilled ? ' (out of memory)' : ''}${c.error ? `: ${c.error}` : ''}`;
}

/**
 * The node's state from its services' containers. `health`: container → each container's own
 * healthcheck must say healthy (running is enough without one); running / devport → running is
 * enough here (a devport probe decides on top of it).
 */
export function judge(services: readonly string[], containers: readonly ContainerInfo[], health: PlanCompose['health'], settle: { ms: number; now: number } = { ms: 0, now: 0 }): Verdict {
  for (const svc of services) {
    if (!containers.some((c) => c.service === svc)) return { state: 'failed', detail: `no container for compose service "${svc}"`, exitCode: null, container: null };
  }
  const mine = containers.filter((c) => services.includes(c.service));
  // Gone for good: docker will not restart it (no policy, or on-failure after exit 0, or stopped by hand).
  const dead = mine.find((c) => c.status === 'exited' || c.status === 'dead');
  if (dead) return { state: dead.exitCode === 0 ? 'exited' : 'failed', detail: exitWords(dead), exitCode: dead.exitCode, container: dead };
  const restarting = mine.find((c) => c.status === 'restarting');
  if (restarting) return { state: 'backoff', detail: `${exitWords(restarting)}; docker restarts it (restart: ${restarting.restartPolicy})`, exitCode: restarting.exitCode };
  const paused = mine.find((c) => c.status === 'paused');
  if (paused) return { state: 'unhealthy', detail: `container ${paused.name} is paused` };
  const notRunning = mine.find((c) => c.status !== 'running');
  if (notRunning) return { state: 'starting', detail: `container ${notRunning.name} is ${notRunning.status}` };
  // Without a healthcheck, running is enough once it has lasted `settle` (like process health): a
  // container that exits at once is not called healthy first.
  const young = mine.find((c) => (health !== 'container' || c.health === null) && settle.now - Date.parse(c.startedAt) < settle.ms);
  if (young) return { state: 'starting', detail: `container ${young.name} running for ${Math.max(0, settle.now - Date.parse(young.startedAt))} ms (settles at ${settle.ms} ms)` };
  if (health === 'container') {
    const sick = mine.find((c) => c.health === 'unhealthy');
    if (sick) return { state: 'unhealthy', detail: `container ${sick.name} is unhealthy${sick.healthOutput ? `: ${sick.healthOutput}` : ''}` };
    const waiting = mine.find((c) => c.health === 'starting');
    if (waiting) return { state: 'starting', detail: `container ${waiting.name}: healthcheck starting` };
    const checked = mine.filter((c) => c.health === 'healthy').length;
    const names = mine.map((c) => c.name).join(', ');
    return { state: 'healthy', detail: checked === mine.length ? `${names} healthy` : checked === 0 ? `${names} running (no healthcheck)` : `${names} running, healthchecks pass` };
  }
  return { state: 'healthy', detail: `${mine.map((c) => c.name).join(', ')} running` };
}
