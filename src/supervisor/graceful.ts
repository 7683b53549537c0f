// Stopping a child: its stop signal to the group, a cancellable timer, then
// SIGKILL for the group and every escaped descendant, then wait until none of
// that generation is left. The outcome says in words what happened.

import { killGeneration, signalGeneration, sleep, waitGenerationGone } from '../sys/kill.js';
import type { Generation } from '../sys/procfs.js';
import { describeExit, type ExitInfo } from './exit.js';

export interface StopOutcome {
  /** exited: the child ended within the grace period; killed: SIGKILL was needed. */
  how: 'exited' | 'killed';
  exit: ExitInfo | undefined;
  afterMs: number;
  reason: string;
  /** Processes still alive at the end: always empty unless something is unkillable. */
  survivors: number[];
}

export interface StopRequest {
  gen: Generation;
  /** Settles when the child (the group leader) has exited. */
  exited: Promise<ExitInfo>;
  stopSignal: NodeJS.Signals;
  timeoutMs: number;
  /** Aborting skips what is left of the grace period (a second Ctrl-C / SIGTERM). */
  skipGrace?: AbortSignal;
}

function sendGroup(gen: Generation, sig: NodeJS.Signals): void {
  for (const target of [gen.pgid !== null ? -gen.pgid : null, gen.pid]) {
    if (target === null) continue;
    try {
      process.kill(target, sig);
    } catch {
      /* gone */
    }
  }
}

export async function stopChild(req: StopRequest): Promise<StopOutcome> {
  const t0 = Date.now();
  // The group first: no /proc scan on the common path (ten sidecars stop at once in `down`).
  sendGroup(req.gen, req.stopSignal);
  const grace = new AbortController();
  const onSkip = () => grace.abort();
  req.skipGrace?.addEventListener('abort', onSkip, { once: true });
  if (req.skipGrace?.aborted) grace.abort();
  let exit: ExitInfo | undefined;
  const leaderGone = req.exited.then((e) => {
    exit = e;
    grace.abort();
  });
  if (req.gen.pid === null && req.gen.pgid === null) grace.abort(); // no leader: straight to what escaped
  await sleep(req.timeoutMs, grace.signal);

  const left = () => Math.max(0, req.timeoutMs - (Date.now() - t0));
  const skipped = () => req.skipGrace?.aborted === true && Date.now() - t0 < req.timeoutMs;
  if (exit !== undefined || (req.gen.pid === null && req.gen.pgid === null)) {
    // The leader is gone. What is left of its generation (group members, descendants,
    // setsid daemons with the marker) gets the stop signal and the rest of the grace period.
    const stragglers = signalGeneration(req.gen, req.stopSignal);
    const still = stragglers.length === 0 || skipped() ? stragglers : await waitGenerationGone(req.gen, left());
    if (still.length === 0) {
      const afterMs = Date.now() - t0;
      const words = exit === undefined ? 'nothing was running' : exit.signal === req.stopSignal ? `stopped by ${req.stopSignal} in ${afterMs} ms` : `${describeExit(exit)} ${afterMs} ms after ${req.stopSignal}`;
      return { how: 'exited', exit, afterMs, reason: words, survivors: [] };
    }
  }
  const wasSkipped = skipped();
  const survivors = await killGeneration(req.gen);
  await Promise.race([leaderGone, sleep(500)]);
  const afterMs = Date.now() - t0;
  const why = wasSkipped ? 'killed at once (forced stop)' : `killed after ${req.timeoutMs} ms stop timeout`;
  return { how: 'killed', exit, afterMs, reason: why, survivors };
}
