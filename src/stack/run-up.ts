// `devport up` past the plan: take the stack lock, refuse what is running,
// launch the sidecars, wait until healthy, then either exit (--daemon) or stay
// in the foreground until a signal, `q`, the terminal or the parent going away,
// or the stack being stopped from elsewhere — and bring everything down. A
// failed up tears down what it started, and only that.

import { appendFileSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { failure, UserError, type Failure } from '../errors/failure.js';
import { JsonLogger } from '../events/json-logger.js';
import type { Logger } from '../events/types.js';
import type { Plan } from '../plan/types.js';
import { rpcRequest } from '../rpc/client.js';
import { DEFAULTS } from '../spec/defaults.js';
import { ensureServiceDir, ensureStateDir, UP_LOG } from '../state/dirs.js';
import { acquireLock, lockedDirs, type HeldLock } from '../state/lock.js';
import { readStat } from '../sys/procfs.js';
import { colorEnabled, palette } from '../util/color.js';
import { downStack, type Stopped } from './down.js';
import { Follower, logSize } from './follow.js';
import { KEYS_HELP, listenKeys } from './keyboard.js';
import { launchSidecars, writeEnvOut, writePlanFile } from './launch.js';
import { monitorStack } from './monitor.js';
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

/**
 * Why the foreground stops. The first of these asks for a graceful stop, a
 * second forces it. SIGINT/SIGTERM/SIGHUP, Ctrl-C and `q` in raw mode, the
 * terminal going away (writes fail), the parent process exiting.
 */
class Interrupts {
  readonly graceful = new AbortController();
  readonly force = new AbortController();
  reason = 'interrupted';
  #count = 0;
  readonly #handlers = new Map<NodeJS.Signals, () => void>();

  constructor() {
    const words: Record<string, string> = { SIGINT: 'interrupted', SIGTERM: 'terminated', SIGHUP: 'hangup: the terminal went away' };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      // A hangup is the terminal going away, not someone asking twice: it never forces.
      const h = s === 'SIGHUP' ? () => this.stop(words[s] ?? s) : () => this.fire(words[s] ?? s);
      this.#handlers.set(s, h);
      process.on(s, h);
    }
  }

  /** Someone asked (a signal, Ctrl-C, q): the first time gracefully, the second time by force. */
  fire(reason: string): void {
    this.#count++;
    if (this.#count === 1) {
      this.reason = reason;
      this.graceful.abort();
    } else this.force.abort();
  }

  /** Something went away (the terminal, the parent, the stack itself): stop gracefully, never escalate. */
  stop(reason: string): void {
    if (this.graceful.signal.aborted) return;
    this.#count++;
    this.reason = reason;
    this.graceful.abort();
  }

  dispose(): void {
    for (const [s, h] of this.#handlers) process.off(s, h);
  }
}

/** The terminal (or pipe) `up` writes to: once it is gone, writes stop and the stack is stopped. */
class Output {
  gone = false;

  constructor(private readonly onGone: (why: string) => void) {
    const fail = (err: NodeJS.ErrnoException) => {
      if (this.gone) return;
      this.gone = true;
      this.onGone(`its output went away (${err.code ?? err.message})`);
    };
    process.stdout.on('error', fail);
    process.stderr.on('error', () => {});
  }

  write(text: string): void {
    if (!this.gone) process.stdout.write(text);
  }
}

/** Unique enough to tell one `up` from the next; node:crypto would cost a module load. */
function newRunId(): string {
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

/** One `up` at a time per stack: an flock on .devport/ itself, held while it launches and for its whole foreground run. */
async function lockStack(stateDir: string): Promise<HeldLock> {
  ensureStateDir(stateDir);
  const r = await acquireLock(stateDir, 0);
  if (r.ok) return r.lock;
  if (r.reason === 'held') {
    throw new UserError([
      failure('ALREADY_RUNNING', `another \`devport up\`${r.holderPid ? ` (pid ${r.holderPid})` : ''} is starting or running this stack`, {
        hint: 'wait for it, or stop it (Ctrl-C there, or `devport down`)',
      }),
    ]);
  }
  throw new Error(`cannot lock ${stateDir}: ${r.detail}`);
}

export async function runUp(plan: Plan, opts: RunUpOptions): Promise<number> {
  const t0 = Date.now();
  const interrupts = new Interrupts();
  const out = new Output((why) => interrupts.stop(why));
  const color = !opts.json && colorEnabled(process.stdout);
  const c = palette(color);
  const logger: Logger | undefined = opts.json ? new JsonLogger((t) => out.write(t)) : undefined;
  const say = (text: string) => {
    if (opts.json) logger?.log({ event: 'info', message: text });
    else out.write(text + '\n');
  };
  let stackLock: HeldLock | undefined;
  try {
    stackLock = await lockStack(plan.stateDir);

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

    const umask = currentUmask();
    const live: Plan = { ...plan, runId: newRunId(), ...(umask !== undefined ? { umask } : {}) };
    const envOutFailure = writeEnvOut(live);
    if (envOutFailure) throw new UserError([envOutFailure]);
    // Every state dir made (or checked: ours, no symlink) before anything starts; all problems at once.
    const unsafe = plan.nodes.flatMap((node) => {
      try {
        ensureServiceDir(plan.stateDir, node.key);
        return [];
      } catch (err: unknown) {
        if (UserError.is(err)) return err.failures;
        throw err;
      }
    });
    if (unsafe.length > 0) throw new UserError(unsafe);
    const planFile = writePlanFile(live);
    const logStart = new Map(live.nodes.map((n) => [n.key, logSize(path.join(live.stateDir, n.key))]));
    logger?.log({ event: 'plan', spec: live.spec, tmux_session: live.tmuxSession, isolation_id: live.isolationId, waves: live.waves, services: (await import('../plan/render.js')).planEventNodes(live), stack_env_names: Object.keys(live.stackEnv), dry_run: false });

    const launched = launchSidecars(live, planFile, live.nodes, useTmux);
    if (!launched.ok) {
      forgetPlan(planFile);
      throw new UserError(launched.failures);
    }

    const mode = opts.json ? 'json' : process.stdout.isTTY ? 'tty' : 'plain';
    const n = live.nodes.length;
    if (mode !== 'json') out.write(`${c.bold('devport up')} ${c.dim(`${n} service${n === 1 ? '' : 's'} · ${useTmux ? `tmux session ${live.tmuxSession}` : 'no tmux'}`)}\n`);
    const progress = createProgress({ mode, color, t0, logger, out, nodes: live.nodes });
    const result = await waitForStack(live, { timeoutMs: opts.waitTimeoutMs, signal: interrupts.graceful.signal, onChange: (node, s) => progress.change(node, s) });
    progress.done();

    if (!result.ok) {
      const failures: Failure[] = result.reason === 'failed' ? result.failures : [];
      if (!opts.keepOnFailure || result.reason === 'interrupted') {
        if (!opts.json) out.write(c.dim(result.reason === 'interrupted' ? 'interrupted: stopping what was started…\n' : 'stopping what this up started…\n'));
        // First the plan goes: a sidecar that takes its lock from now on starts nothing.
        forgetPlan(planFile);
        await bringDown(live, opts, interrupts.force.signal, logger, out, t0, result.reason === 'interrupted' ? interrupts.reason : 'up failed');
      } else if (!opts.json) out.write(c.yellow('--keep-on-failure: the stack is left running for inspection; `devport down` stops it\n'));
      if (result.reason === 'interrupted') return 130;
      throw new UserError(failures);
    }

    const elapsed = Date.now() - t0;
    if (opts.json) logger?.log({ event: 'ready', services: live.nodes.map((node) => ({ service: node.key, url: node.url, state: node.kind === 'task' ? 'completed' : 'healthy' })), duration_ms: elapsed });
    else out.write(renderSummary(live, { color, elapsedMs: elapsed, daemon: opts.daemon, tmux: useTmux }));

    if (opts.daemon) {
      appendFileSync(path.join(live.stateDir, UP_LOG), upLogLine(live, elapsed));
      return 0;
    }
    return await foreground(live, opts, interrupts, out, logger, logStart, color);
  } finally {
    interrupts.dispose();
    stackLock?.release();
  }
}

function forgetPlan(planFile: string): void {
  try {
    unlinkSync(planFile);
  } catch {
    /* already gone */
  }
}

async function bringDown(plan: Plan, opts: RunUpOptions, force: AbortSignal, logger: Logger | undefined, out: Output, t0: number, reason: string): Promise<Stopped[]> {
  const c = palette(!opts.json && colorEnabled(process.stdout));
  const stopped = await downStack({
    stateDir: plan.stateDir,
    timeoutMs: opts.downTimeoutMs ?? DEFAULTS.downTimeoutMs,
    keys: plan.nodes.map((n) => n.key),
    // Only what this up started: a concurrent up's sidecars are never ours to stop.
    ...(plan.runId !== null ? { runId: plan.runId } : {}),
    force,
    onStopped: (s) => {
      if (opts.json) logger?.log({ event: 'stopped', service: s.key, how: s.how });
      else out.write(`  ${c.dim('■')} ${s.key} ${c.dim(s.how)}\n`);
    },
    onUntrusted: (u) => {
      if (opts.json) logger?.log({ event: 'untrusted', service: u.key, problem: u.problem });
      else out.write(`  ${c.yellow('!')} ${u.key} ${c.dim(u.problem)}\n`);
    },
  });
  logger?.log({ event: 'shutdown', reason, stopped: stopped.map((s) => s.key), duration_ms: Date.now() - t0 });
  return stopped;
}

/** How often the foreground checks that its parent is still there (an agent's harness, a shell that was killed). */
const PARENT_CHECK_MS = 500;

async function foreground(plan: Plan, opts: RunUpOptions, interrupts: Interrupts, out: Output, logger: Logger | undefined, logStart: Map<string, number>, color: boolean): Promise<number> {
  const c = palette(color);
  const t0 = Date.now();
  // Child output never goes to stdout in --json mode; state changes do, as `service` events.
  const follower = opts.json
    ? undefined
    : new Follower(
        plan.nodes.map((n) => ({ key: n.key, dir: path.join(plan.stateDir, n.key), offset: logStart.get(n.key) ?? 0 })),
        { color, keepAnsi: color, write: (t) => out.write(t) },
      );
  follower?.start();
  let stoppedElsewhere = false;
  const monitor = monitorStack(plan, {
    onChange: (node, s) =>
      logger?.log({ event: 'service', service: node.key, state: s.state, duration_ms: Date.now() - t0, ...(s.health ? { detail: s.health.detail } : {}), port: s.port, url: s.url, restarts: s.restarts, exit_code: s.exit_code }),
    onGone: () => {
      stoppedElsewhere = true;
      interrupts.stop('the stack was stopped from elsewhere');
    },
    // Human mode sees both in the service's own output ([devport] lines); --json gets events.
    onBuild: (node, b) => logger?.log({ event: 'build', service: node.key, ok: b.ok === true, duration_ms: b.duration_ms ?? 0, exit_code: b.exit_code, ...(b.ok ? {} : { tail: b.tail }) }),
    onReload: (node, r) => logger?.log({ event: 'reload', service: node.key, how: r.how, trigger: r.trigger, count: r.count }),
  });
  // The foreground lives until it is told to stop: this timer keeps the event loop alive (nothing
  // else may, with --json or without a TTY) and notices the parent going away.
  const ppid = readStat(process.pid)?.ppid;
  const alive = setInterval(() => {
    const now = readStat(process.pid)?.ppid;
    if (ppid !== undefined && now !== undefined && now !== ppid) interrupts.stop('its parent process exited');
  }, PARENT_CHECK_MS);
  const stopKeys =
    opts.keyboard && process.stdin.isTTY
      ? listenKeys({
          interrupt: () => interrupts.fire('interrupted'),
          quit: () => interrupts.fire('quit'),
          help: () => out.write(c.dim(`${KEYS_HELP}\n`)),
          restart: () => {
            out.write(c.dim('restarting every service…\n'));
            for (const n of plan.nodes) void rpcRequest(path.join(plan.stateDir, n.key), 'POST', '/restart').catch(() => {});
          },
        })
      : () => {};

  await new Promise<void>((resolve) => {
    if (interrupts.graceful.signal.aborted) resolve();
    else interrupts.graceful.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const t = Date.now();
  clearInterval(alive);
  monitor.stop();
  follower?.stop();
  try {
    stopKeys();
  } catch {
    /* the terminal is gone */
  }
  if (!opts.json) out.write(c.dim(stoppedElsewhere ? '\nthe stack was stopped from elsewhere\n' : '\nstopping the stack (Ctrl-C again to kill it now)…\n'));
  await bringDown(plan, opts, interrupts.force.signal, logger, out, t, interrupts.force.signal.aborted ? 'forced' : interrupts.reason);
  if (interrupts.force.signal.aborted) return 130;
  if (!opts.json && !stoppedElsewhere) out.write(c.dim(`stopped in ${Date.now() - t} ms\n`));
  return 0;
}
