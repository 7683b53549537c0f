// Killing a service's processes: its group, its descendants and anything that
// escaped both (setsid daemons carry the service's env marker).

import { generationProcesses, isRunning, type Generation } from './procfs.js';

function send(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to the child's group and to every other process of the generation. Returns what was signalled. */
export function signalGeneration(gen: Generation, signal: NodeJS.Signals): number[] {
  if (gen.pgid !== null) send(-gen.pgid, signal);
  const pids = generationProcesses(gen);
  for (const pid of pids) send(pid, signal);
  return pids;
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

/** Waits until no process of the generation is left; returns the survivors at the deadline. */
export async function waitGenerationGone(gen: Generation, timeoutMs: number, everyMs = 10): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = generationProcesses(gen).filter(isRunning);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(everyMs);
  }
}

/** SIGKILL everything of the generation, until nothing is left (or `timeoutMs`). */
export async function killGeneration(gen: Generation, timeoutMs = 3000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Again each round: something may have forked between the scan and the kill.
    signalGeneration(gen, 'SIGKILL');
    const left = await waitGenerationGone(gen, Math.min(200, Math.max(0, deadline - Date.now())));
    if (left.length === 0 || Date.now() >= deadline) return left;
  }
}
