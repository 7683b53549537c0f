// `devport up` past the plan: refuse what is running, launch the sidecars,
// wait until healthy, then either exit (--daemon) or follow the logs until
// Ctrl-C, which brings everything down. A failed up tears down what it started.

import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { failure, UserError, type Failure } from '../errors/failure.js';
import { JsonLogger } from '../events/json-logger.js';
import type { Logger } from '../events/types.js';
import type { Plan } from '../plan/types.js';
import { rpcRequest } from '../rpc/client.js';
import { UP_LOG } from '../state/dirs.js';
import { lockedDirs } from '../state/lock.js';
import { colorEnabled, palette } from '../util/color.js';
import { downStack, type Stopped } from './down.js';
import { Follower, logSize } from './follow.js';
import { KEYS_HELP, listenKeys } from './keyboard.js';
import { launchSidecars, writeEnvOut, writePlanFile } from './launch.js';
import { createProgress } from './progress.js';
import { renderSummary, upLogLine } from './summary.js';
import { tmuxAvailable } from './tmux.js';
import { waitForStack } from './wait.js';

export interface RunUpOptions {
  json: boolean;
  daemon: boolean;
  /** true: --tmux (required), false: --no-tmux, undefined: tmux when installed. */
  tmux: boolean | undefined;
  waitTimeoutMs: number | undefined;
  keyboard: boolean;
  keepOnFailure: boolean;
  downTimeoutMs?: number;
}

/** SIGINT/SIGTERM/SIGHUP and Ctrl-C in raw mode: the first asks for a graceful stop, the second forces it. */
class Interrupts {
  readonly graceful = new AbortController();
  readonly force = new AbortController();
  #count = 0;
  readonly #handler = () => this.fire();

  constructor() {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, this.#handler);
  }

  fire(): void {
    this.#count++;
    if (this.#count === 1) this.graceful.abort();
    else this.force.abort();
  }

  dispose(): void {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, this.#handler);
  }
}

export async function runUp(plan: Plan, opts: RunUpOptions): Promise<number> {
  const t0 = Date.now();
  const out = process.stdout;
  const color = !opts.json && colorEnabled(out);
  const c = palette(color);
  const logger: Logger | undefined = opts.json ? new JsonLogger() : undefined;
  const say = (text: string) => {
    if (opts.json) logger?.log({ event: 'info', message: text });
    else out.write(text + '\n');
  };

  // One live owner per service: refuse when any of ours is running.
  const running = [...lockedDirs(plan.nodes.map((n) => path.join(plan.stateDir, n.key)))].map((d) => path.basename(d));
  if (running.length > 0) {
    throw new UserError([
      failure('ALREADY_RUNNING', `already running: ${running.join(', ')}`, {
        hint: `\`devport down\` stops the stack; \`devport restart ${running.join(' ')}\` restarts ${running.length > 1 ? 'them' : 'it'}`,
      }),
    ]);
  }
  let useTmux = opts.tmux ?? tmuxAvailable();
  if (opts.tmux === undefined && !useTmux && !opts.json) say(c.dim('tmux is not installed: running the sidecars detached (output in devport logs)'));
  if (opts.tmux === true) useTmux = true;

  // Unique enough to tell one `up` from the next; node:crypto would cost a module load.
  const live: Plan = { ...plan, runId: `${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}` };
  const planFile = writePlanFile(live);
  writeEnvOut(live);
  for (const n of live.nodes) mkdirSync(path.join(live.stateDir, n.key), { recursive: true });
  const logStart = new Map(live.nodes.map((n) => [n.key, logSize(path.join(live.stateDir, n.key))]));
  logger?.log({ event: 'plan', spec: live.spec, tmux_session: live.tmuxSession, isolation_id: live.isolationId, waves: live.waves, services: (await import('../plan/render.js')).planEventNodes(live), dry_run: false });

  const interrupts = new Interrupts();
  try {
    const launched = launchSidecars(live, planFile, live.nodes, useTmux);
    if (!launched.ok) throw new UserError(launched.failures);

    const mode = opts.json ? 'json' : out.isTTY ? 'tty' : 'plain';
    if (mode !== 'json') out.write(`${c.bold('devport up')} ${c.dim(`${live.nodes.length} services · ${useTmux ? `tmux session ${live.tmuxSession}` : 'no tmux'}`)}\n`);
    const progress = createProgress({ mode, color, t0, logger, out, nodes: live.nodes });
    const result = await waitForStack(live, { timeoutMs: opts.waitTimeoutMs, signal: interrupts.graceful.signal, onChange: (n, s) => progress.change(n, s) });
    progress.done();

    if (!result.ok) {
      const failures: Failure[] = result.reason === 'failed' ? result.failures : [];
      if (!opts.keepOnFailure || result.reason === 'interrupted') {
        if (!opts.json) out.write(c.dim(result.reason === 'interrupted' ? 'interrupted: stopping what was started…\n' : 'stopping what this up started…\n'));
        await bringDown(live, opts, interrupts.force.signal, logger, t0, result.reason === 'interrupted' ? 'interrupted' : 'up failed');
      } else if (!opts.json) out.write(c.yellow('--keep-on-failure: the stack is left running for inspection; `devport down` stops it\n'));
      if (result.reason === 'interrupted') return 130;
      throw new UserError(failures);
    }

    const elapsed = Date.now() - t0;
    if (opts.json) logger?.log({ event: 'ready', services: live.nodes.map((n) => ({ service: n.key, url: n.url, state: n.kind === 'task' ? 'completed' : 'healthy' })), duration_ms: elapsed });
    else out.write(renderSummary(live, { color, elapsedMs: elapsed, daemon: opts.daemon, tmux: useTmux }));

    if (opts.daemon) {
      appendFileSync(path.join(live.stateDir, UP_LOG), upLogLine(live, elapsed));
      return 0;
    }
    return await foreground(live, opts, interrupts, logger, logStart, color);
  } finally {
    interrupts.dispose();
  }
}

async function bringDown(plan: Plan, opts: RunUpOptions, force: AbortSignal, logger: Logger | undefined, t0: number, reason: string): Promise<Stopped[]> {
  const c = palette(!opts.json && colorEnabled(process.stdout));
  const stopped = await downStack({
    stateDir: plan.stateDir,
    timeoutMs: opts.downTimeoutMs ?? 10_000,
    keys: plan.nodes.map((n) => n.key),
    force,
    onStopped: (s) => {
      if (opts.json) logger?.log({ event: 'stopped', service: s.key, how: s.how });
      else process.stdout.write(`  ${c.dim('■')} ${s.key} ${c.dim(s.how)}\n`);
    },
  });
  logger?.log({ event: 'shutdown', reason, stopped: stopped.map((s) => s.key), duration_ms: Date.now() - t0 });
  return stopped;
}

async function foreground(plan: Plan, opts: RunUpOptions, interrupts: Interrupts, logger: Logger | undefined, logStart: Map<string, number>, color: boolean): Promise<number> {
  const out = process.stdout;
  const c = palette(color);
  // Child output never goes to stdout in --json mode.
  const follower = opts.json
    ? undefined
    : new Follower(
        plan.nodes.map((n) => ({ key: n.key, dir: path.join(plan.stateDir, n.key), offset: logStart.get(n.key) ?? 0 })),
        { color, keepAnsi: color, write: (t) => out.write(t) },
      );
  follower?.start();
  const stopKeys =
    opts.keyboard && process.stdin.isTTY
      ? listenKeys({
          interrupt: () => interrupts.fire(),
          quit: () => interrupts.fire(),
          help: () => out.write(c.dim(`${KEYS_HELP}\n`)),
          restart: () => {
            out.write(c.dim('restarting every service…\n'));
            for (const n of plan.nodes) void rpcRequest(path.join(plan.stateDir, n.key), 'POST', '/restart').catch(() => {});
          },
        })
      : () => {};

  await new Promise<void>((resolve) => interrupts.graceful.signal.addEventListener('abort', () => resolve(), { once: true }));
  const t = Date.now();
  follower?.stop();
  if (!opts.json) out.write(c.dim('\nstopping the stack (Ctrl-C again to kill it now)…\n'));
  try {
    await bringDown(plan, opts, interrupts.force.signal, logger, t, interrupts.force.signal.aborted ? 'forced' : 'interrupted');
  } finally {
    stopKeys();
  }
  if (interrupts.force.signal.aborted) return 130;
  if (!opts.json) out.write(c.dim(`stopped in ${Date.now() - t} ms\n`));
  return 0;
}
