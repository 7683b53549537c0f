// What every step of one `up` shares: its options, where it writes, what
// interrupts it, and how its sidecars are launched.

import { readFileSync } from 'node:fs';
import type { Logger } from '../events/types.js';
import type { Plan } from '../plan/types.js';
import { palette, type Palette } from '../util/color.js';
import type { Interrupts } from './interrupts.js';
import type { Output } from './output.js';
import type { HeldLock } from '../state/lock.js';
import type { PlanOutcome } from './planner.js';

export interface RunUpOptions {
  json: boolean;
  daemon: boolean;
  /** true: --tmux (required), false: --no-tmux, undefined: tmux when installed (or as the running stack). */
  tmux: boolean | undefined;
  waitTimeoutMs: number | undefined;
  keyboard: boolean;
  keepOnFailure: boolean;
  /** --fresh: remove the stack's compose containers and volumes before it starts. */
  fresh?: boolean;
  downTimeoutMs?: number;
  /** The stack lock, taken by `up` before it planned, and that plan (made under it). */
  held?: { lock: HeldLock; planned: PlanOutcome };
}

export interface UpContext {
  opts: RunUpOptions;
  interrupts: Interrupts;
  out: Output;
  logger: Logger | undefined;
  color: boolean;
  c: Palette;
  useTmux: boolean;
  /** A line for people, an `info` event with --json. */
  say(text: string): void;
}

export function makeContext(opts: RunUpOptions, interrupts: Interrupts, out: Output, logger: Logger | undefined, color: boolean, useTmux: boolean): UpContext {
  const c = palette(color);
  return {
    opts,
    interrupts,
    out,
    logger,
    color,
    c,
    useTmux,
    say: (text) => {
      if (opts.json) logger?.log({ event: 'info', message: text });
      else out.write(text + '\n');
    },
  };
}

/** Unique enough to tell one `up` from the next; node:crypto would cost a module load. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The umask `up` runs with, without changing it (process.umask() without an argument is deprecated). */
function currentUmask(): number | undefined {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] ? parseInt(m[1], 8) : undefined;
  } catch {
    return undefined;
  }
}

/** The plan as sidecars of a new run get it: a run id of its own, the caller's umask. */
export function forRun(plan: Plan): Plan {
  const umask = currentUmask();
  return { ...plan, runId: newRunId(), ...(umask !== undefined ? { umask } : {}) };
}

/** The same plan with only some nodes (waitForStack, monitorStack and downStack act on plan.nodes). */
export function onlyNodes(plan: Plan, keys: Iterable<string>): Plan {
  const wanted = new Set(keys);
  return { ...plan, nodes: plan.nodes.filter((n) => wanted.has(n.key)) };
}
