// Stopping a child: its stop signal to the group, a cancellable timer, then
// SIGKILL for the group and every escaped descendant, then wait until none of
// that generation is left. The outcome says in words what happened.

import { GenerationTracker, safeKill, sleep } from '../sys/kill.js';
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

/** The stop signal to the child's group (the child leads it), once; to the child alone when there is no group to signal. */
function sendGroup(gen: Generation, sig: NodeJS.Signals): void {
  if (gen.pgid !== null && safeKill(-gen.pgid, sig)) return;
  if (gen.pid !== null) safeKill(gen.pid, sig);
}

export async function stopChild(req: StopRequest): Promise<StopOutcome> {
  const t0 = Date.now();
  const tracker = new GenerationTracker(req.gen);
  // The group first: no /proc scan on the common path (ten sidecars stop at once in `down`).
  sendGroup(req.gen, req.stopSignal);
  const grace = new AbortController();
  const onSkip = () => grace.abort();
  // Removed before returning: a sidecar stops its child once per restart, on one long-lived signal.
  req.skipGrace?.addEventListener('abort', onSkip, { once: true });
  try {
    if (req.skipGrace?.aborted) grace.abort();
    let exit: ExitInfo | undefined;
    const leaderGone = req.exited.then((e) => {
      exit = e;
      grace.abort();
    });
    const noLeader = req.gen.pid === null && req.gen.pgid === null;
    if (noLeader) grace.abort(); // straight to what escaped
    await sleep(req.timeoutMs, grace.signal);

    const left = () => Math.max(0, req.timeoutMs - (Date.now() - t0));
    const skipped = () => req.skipGrace?.aborted === true && Date.now() - t0 < req.timeoutMs;
    if (exit !== undefined || noLeader) {
      // The leader is gone. What is left of its generation (group members, descendants,
      // setsid daemons with the marker) gets the stop signal and the rest of the grace period.
      const stragglers = tracker.signal(req.stopSignal);
      const still = stragglers.length === 0 || skipped() ? stragglers : await tracker.waitGone(left());
      if (still.length === 0) {
        const afterMs = Date.now() - t0;
        const words = exit === undefined ? 'nothing was running' : exit.signal === req.stopSignal ? `stopped by ${req.stopSignal} in ${afterMs} ms` : `${describeExit(exit)} ${afterMs} ms after ${req.stopSignal}`;
        return { how: 'exited', exit, afterMs, reason: words, survivors: [] };
      }
    }
    const wasSkipped = skipped();
    const survivors = await tracker.kill();
    await Promise.race([leaderGone, sleep(500)]);
    const afterMs = Date.now() - t0;
    const why = wasSkipped ? 'killed at once (forced stop)' : `killed after ${req.timeoutMs} ms stop timeout`;
    return { how: 'killed', exit, afterMs, reason: why, survivors };
  } finally {
    req.skipGrace?.removeEventListener('abort', onSkip);
  }
}
