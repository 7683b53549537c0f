// Waiting until the stack is ready: every service healthy, every task
// completed. A failure becomes SERVICE_UNHEALTHY or TASK_FAILED with the
// service's health detail and the tail of its output.

import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { failure, type Failure } from '../errors/failure.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { OUTPUT_LOG, SIDECAR_LOG, STATE_FILE } from '../state/dirs.js';
import { lockedDirs } from '../state/lock.js';
import { stateFileOf, stateOfRun } from '../state/read.js';
import type { ServiceRecord, StateFile } from '../state/types.js';
import { tailLines } from '../supervisor/output-log.js';
import { stripAnsi } from '../util/color.js';

export type WaitResult = { ok: true } | { ok: false; reason: 'failed'; failures: Failure[] } | { ok: false; reason: 'interrupted' };

export interface WaitOptions {
  /** --wait-timeout; undefined: each service's own health timeout decides. */
  timeoutMs: number | undefined;
  signal: AbortSignal;
  /** Called with a service's state whenever it changes (undefined: its sidecar has not written one yet). */
  onChange: (node: PlanNode, state: ServiceRecord | undefined) => void;
  /** How long a sidecar may take to write its first state. */
  launchTimeoutMs?: number;
}

export const TAIL_LINES = 20;

/** The last lines its current sidecar wrote (never an earlier run's output). */
export function outputTail(stateDir: string, key: string, n = TAIL_LINES): string {
  const since = stateFileOf(path.join(stateDir, key))?.supervisor.output_offset;
  const lines = tailLines(path.join(stateDir, key, OUTPUT_LOG), n, since === undefined ? {} : { since }).map(stripAnsi);
  return lines.length > 0 ? lines.join('\n') : '(no output)';
}

function sidecarTail(stateDir: string, key: string): string | undefined {
  const lines = tailLines(path.join(stateDir, key, SIDECAR_LOG), 10);
  return lines.length > 0 ? lines.join('\n') : undefined;
}

export function isReady(node: PlanNode, s: ServiceRecord): boolean {
  return node.kind === 'task' ? s.state === 'completed' : s.state === 'healthy';
}

/** Why a service cannot become ready any more, or undefined while it still may. */
export function failureOf(plan: Plan, node: PlanNode, s: ServiceRecord): Failure | undefined {
  const f = whyNotReady(plan, node, s);
  return f ? { ...f, service: node.key } : undefined;
}

function whyNotReady(plan: Plan, node: PlanNode, s: ServiceRecord): Failure | undefined {
  const tail = () => outputTail(plan.stateDir, node.key);
  const logsHint = `read its output above; \`devport logs ${node.key}\` shows all of it`;
  if (node.kind === 'task') {
    if (s.state !== 'failed') return undefined;
    return failure('TASK_FAILED', `task "${node.key}" failed: ${s.reason ?? `exited ${s.exit_code}`}`, {
      hint: `fix the task and run \`devport up\` again; \`devport logs ${node.key}\` shows all its output`,
      detail: tail(),
    });
  }
  // Its port is held by another program: it cannot become healthy until that one goes.
  const c = s.conflict;
  if (c && (s.state === 'backoff' || s.state === 'crashloop' || s.state === 'exited' || s.state === 'failed' || s.state === 'unhealthy')) {
    return failure('PORT_IN_USE', `port ${c.port} of "${node.key}" is in use by ${c.command || 'another process'}${c.pid !== null ? ` (pid ${c.pid})` : ''}`, {
      hint: c.pid !== null ? `stop that process (kill ${c.pid}), or remove \`port\` from "${node.name}" so devport allocates one` : `stop what listens on ${c.port}, or remove \`port\` from "${node.name}"`,
      detail: tail(),
    });
  }
  switch (s.state) {
    case 'unhealthy':
      return failure('SERVICE_UNHEALTHY', `"${node.key}" did not become healthy: ${s.health?.detail ?? 'health check failing'}`, {
        hint: `${logsHint}; the health check is [service.health] in devport.toml`,
        detail: tail(),
      });
    case 'exited':
      return failure('SERVICE_UNHEALTHY', `"${node.key}" ${s.reason ?? 'exited'} before it was healthy (restart = "${node.restart}")`, { hint: logsHint, detail: tail() });
    case 'crashloop':
      return failure('SERVICE_UNHEALTHY', `"${node.key}" keeps crashing: ${s.reason ?? 'exited'} (${s.restarts + 1} starts)`, { hint: logsHint, detail: tail() });
    case 'failed':
      return failure('SERVICE_UNHEALTHY', `"${node.key}" failed: ${s.reason ?? 'unknown reason'}`, { hint: logsHint, detail: tail() });
    case 'stopped':
    case 'stopping':
      return failure('SERVICE_UNHEALTHY', `"${node.key}" was stopped before it was ready${s.reason ? ` (${s.reason})` : ''}`, { hint: 'something stopped it: `devport down` from another terminal?' });
    case 'pending':
    case 'building':
    case 'starting':
    case 'healthy':
    case 'reloading':
    case 'backoff':
    case 'completed':
      return undefined;
    default: {
      const never: never = s.state;
      return never;
    }
  }
}

export function waitForStack(plan: Plan, opts: WaitOptions): Promise<WaitResult> {
  const launchTimeoutMs = opts.launchTimeoutMs ?? 15_000;
  const t0 = Date.now();
  const last = new Map<string, string>();
  const everAlive = new Set<string>();
  const watchers: FSWatcher[] = [];

  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (r: WaitResult) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      for (const w of watchers) w.close();
      opts.signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, reason: 'interrupted' });

    const dirs = plan.nodes.map((n) => path.join(plan.stateDir, n.key));
    // The last state read of each node: an event re-reads only the node it names.
    const files: (StateFile | undefined)[] = plan.nodes.map(() => undefined);
    /**
     * One look at the states (`only`: those nodes', else all; each parsed once per version, see
     * readState). `withLocks`: also which sidecars live, which only the poll asks (a flock attempt
     * per sidecar); a state change alone cannot show a sidecar's death.
     */
    const check = (withLocks: boolean, only?: ReadonlySet<number>) => {
      if (settled) return;
      // States first, then locks: a sidecar locks before it writes, so a state
      // without a lock means a dead sidecar, never one that started in between.
      for (const [i, dir] of dirs.entries()) if (!only || only.has(i)) files[i] = stateFileOf(dir);
      const states = plan.nodes.map((node, i) => stateOfRun(files[i], plan.runId));
      // Only sidecars not yet ready that wrote a state of this run (they hold their lock by then)
      // are probed: a probe never takes a lock a starting sidecar is about to take.
      const live = withLocks ? lockedDirs(dirs.filter((_, i) => files[i]?.supervisor.run_id === plan.runId && !(states[i] && isReady(plan.nodes[i] as PlanNode, states[i])))) : undefined;
      const failures: Failure[] = [];
      let ready = 0;
      for (const [i, node] of plan.nodes.entries()) {
        const dir = path.join(plan.stateDir, node.key);
        // A state.json of an earlier run says nothing about this one.
        const s = states[i];
        const sig = s ? `${s.state}|${s.health?.detail ?? ''}|${s.restarts}` : '';
        if (last.get(node.key) !== sig) {
          last.set(node.key, sig);
          opts.onChange(node, s);
        }
        if (live?.has(dir)) everAlive.add(node.key);
        if (s && isReady(node, s)) {
          ready++;
          continue;
        }
        const f = s ? failureOf(plan, node, s) : undefined;
        if (f) failures.push(f);
        else if (!live) continue;
        else if (!live.has(dir) && (everAlive.has(node.key) || s)) {
          failures.push(
            failure('SERVICE_UNHEALTHY', `the supervisor of "${node.key}" exited`, {
              service: node.key,
              hint: 'this is likely a bug in devport; please report it with the lines above',
              detail: sidecarTail(plan.stateDir, node.key) ?? outputTail(plan.stateDir, node.key),
            }),
          );
        } else if (!s && !live.has(dir) && Date.now() - t0 > launchTimeoutMs) {
          failures.push(
            failure('SERVICE_UNHEALTHY', `the supervisor of "${node.key}" did not start within ${launchTimeoutMs} ms`, {
              service: node.key,
              hint: 'check that tmux can run node (`tmux new-window node -v`), or try --no-tmux',
              detail: sidecarTail(plan.stateDir, node.key),
            }),
          );
        }
      }
      if (failures.length > 0) return finish({ ok: false, reason: 'failed', failures });
      if (ready === plan.nodes.length) return finish({ ok: true });
      if (opts.timeoutMs !== undefined && Date.now() - t0 > opts.timeoutMs) {
        const stateNow = (n: PlanNode) => stateOfRun(stateFileOf(path.join(plan.stateDir, n.key)), plan.runId);
        const waiting = plan.nodes.filter((n) => {
          const st = stateNow(n);
          return !(st && isReady(n, st));
        });
        finish({
          ok: false,
          reason: 'failed',
          failures: waiting.map((n) => {
            const st = stateNow(n);
            return failure('SERVICE_UNHEALTHY', `"${n.key}" was not ready after --wait-timeout ${opts.timeoutMs} ms: ${st ? `${st.state}${st.health ? ` (${st.health.detail})` : ''}` : 'not started'}`, {
              service: n.key,
              hint: `raise --wait-timeout, or see \`devport logs ${n.key}\``,
              detail: outputTail(plan.stateDir, n.key),
            });
          }),
        });
      }
    };

    if (opts.signal.aborted) return resolve({ ok: false, reason: 'interrupted' });
    opts.signal.addEventListener('abort', onAbort, { once: true });
    // A sidecar writes state.json by rename: its events (not output.log's, not sidecar.log's)
    // wake one look, however many arrive in a burst.
    const dirty = new Set<number>();
    const onEvent = (i: number, name: string | Buffer | null) => {
      if (name !== null && String(name) !== STATE_FILE) return;
      if (dirty.size === 0) {
        setImmediate(() => {
          const only = new Set(dirty);
          dirty.clear();
          check(false, only);
        });
      }
      dirty.add(i);
    };
    for (const [i, dir] of dirs.entries()) {
      try {
        if (existsSync(dir)) watchers.push(watch(dir, { persistent: false }, (_, name) => onEvent(i, name)));
      } catch {
        /* the poll covers it */
      }
    }
    // The poll: sidecars that die (a flock probe each, every 4th tick), dirs created after we looked, timeouts.
    let tick = 0;
    timer = setInterval(() => check(++tick % 4 === 0), 50);
    check(true);
  });
}
