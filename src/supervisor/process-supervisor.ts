// Supervises one process-backed node (exec service, task, exec route): waits
// for dependencies, builds, spawns the child in a pty, probes its health,
// restarts it per policy with backoff, and stops its whole generation.

import { childEnv } from '../plan/child-env.js';
import { findPortHolder, holdsSocket, listenerInodes } from '../plan/listening.js';
import type { PortConflict } from '../state/types.js';
import { sleep } from '../sys/kill.js';
import { generationProcesses, isRunning } from '../sys/procfs.js';
import { Backoff, shouldRestart } from './backoff.js';
import { spawnChild, type ChildHandle } from './child.js';
import { waitForDependencies } from './deps.js';
import { describeExit, type ExitInfo } from './exit.js';
import { stopChild, type StopOutcome } from './graceful.js';
import { probe, type ProbeResult } from './health.js';
import { describeLifecycle, type Lifecycle } from './lifecycle.js';
import type { Service, Sidecar } from './sidecar.js';

type Request = 'restart' | 'stop';

/**
 * One-slot mailbox: the run loop waits on it; restart and stop post to it. A
 * stop is never overwritten. A wait can be cancelled, so an abandoned wait
 * never swallows a later request.
 */
class Mailbox {
  #pending: Request | undefined;
  #waiter: ((r: Request) => void) | undefined;

  post(r: Request): void {
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w(r);
    } else if (this.#pending !== 'stop') this.#pending = r;
  }

  /** The next request, or undefined if `signal` aborts first. */
  next(signal?: AbortSignal): Promise<Request | undefined> {
    const p = this.#pending;
    if (p !== undefined) {
      if (p !== 'stop') this.#pending = undefined;
      return Promise.resolve(p);
    }
    if (signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = () => {
        if (this.#waiter === deliver) this.#waiter = undefined;
        resolve(undefined);
      };
      const deliver = (r: Request) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      this.#waiter = deliver;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const STEADY_FAILURES_TO_UNHEALTHY = 2;

/** Why a service stopped when no child was running: what it was doing then. */
function stoppedWhile(l: Lifecycle): string {
  switch (l.state) {
    case 'completed':
      return 'stopped (it had completed)';
    case 'failed':
    case 'exited':
      return `stopped (it had ${l.reason})`;
    case 'backoff':
    case 'crashloop':
      return 'stopped while waiting to restart';
    case 'pending':
      return 'stopped while waiting for its dependencies';
    case 'building':
      return 'stopped during its build';
    case 'starting':
    case 'healthy':
    case 'unhealthy':
    case 'reloading':
    case 'stopping':
    case 'stopped':
      return 'stopped';
    default: {
      const never: never = l;
      return never;
    }
  }
}

export class ProcessSupervisor implements Service {
  #life: Lifecycle = { state: 'pending', waitingFor: [] };
  #child: ChildHandle | undefined;
  #generation = 0;
  #restarts = 0;
  #lastExit: ExitInfo | undefined;
  #healthyAt: number | null = null;
  /** The port is held by someone else (set when a child fails while it is; cleared by the next start). */
  #conflict: PortConflict | null = null;
  readonly #backoff = new Backoff();
  readonly #mail = new Mailbox();
  readonly #stopCtl = new AbortController();
  readonly #skipGrace = new AbortController();
  #stopReason: string | undefined;
  #stopped: Promise<void> | undefined;

  constructor(private readonly sc: Sidecar) {}

  private get node() {
    return this.sc.node;
  }

  private get isTask(): boolean {
    return this.node.kind === 'task';
  }

  // ---- the one place where the lifecycle changes --------------------------------

  private enter(next: Lifecycle, extra: { health?: ProbeResult; reason?: string } = {}): void {
    const child = this.#child && this.#child.exit === undefined ? this.#child : undefined;
    const exit = this.#lastExit;
    let nextRestartAt: string | null = null;
    let reason: string | null = extra.reason ?? this.sc.record.state.reason;
    switch (next.state) {
      case 'backoff':
      case 'crashloop':
        nextRestartAt = new Date(Date.now() + next.delayMs).toISOString();
        reason = next.reason;
        break;
      case 'exited':
      case 'failed':
      case 'stopped':
      case 'stopping':
        reason = next.reason;
        break;
      case 'completed':
        reason = 'exited 0';
        break;
      case 'pending':
      case 'building':
      case 'starting':
      case 'healthy':
      case 'unhealthy':
      case 'reloading':
        break;
      default: {
        const never: never = next;
        return never;
      }
    }
    const health = extra.health ? { ok: extra.health.ok, detail: extra.health.detail, checked_at: new Date().toISOString() } : this.sc.record.state.health;
    // Checked against the lifecycle table: an illegal transition throws (a bug, caught by tests).
    this.sc.transition(next.state, {
      pid: child?.pid ?? null,
      pgid: child?.pgid ?? null,
      pid_start: child?.start ?? null,
      generation: this.#generation,
      restarts: this.#restarts,
      exit_code: exit?.code ?? null,
      signal: exit?.signal ?? null,
      reason,
      health: next.state === 'pending' || next.state === 'stopped' ? null : health,
      next_restart_at: nextRestartAt,
      conflict: this.#conflict,
    });
    this.#life = next;
  }

  // ---- Service --------------------------------------------------------------------

  async run(): Promise<void> {
    try {
      await this.loop();
    } catch (err: unknown) {
      this.bug(err);
    }
    // The loop ends only once a stop has begun; wait for it to finish.
    await this.#stopped;
  }

  /** A bug in the supervisor (an illegal transition, a throw in the health loop): say so, stop the child. */
  private bug(err: unknown): void {
    this.sc.say(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    this.stop('internal error in the supervisor');
  }

  restart(): { accepted: boolean; message: string } {
    if (this.#stopReason !== undefined) return { accepted: false, message: 'stopping' };
    if (this.#life.state === 'pending') return { accepted: false, message: `waiting for ${this.#life.waitingFor.join(', ')}` };
    this.#mail.post('restart');
    return { accepted: true, message: 'restarting' };
  }

  stop(reason: string): void {
    if (this.#stopReason !== undefined) {
      this.#skipGrace.abort();
      return;
    }
    this.#stopReason = reason;
    this.#stopCtl.abort();
    this.#mail.post('stop');
    this.#stopped = this.shutdown(reason);
  }

  private async shutdown(reason: string): Promise<void> {
    const before = this.#life;
    this.enter({ state: 'stopping', reason });
    const child = this.#child;
    let outcome: StopOutcome | undefined;
    if (child) {
      outcome = await stopChild({
        gen: { pid: child.pid, pgid: child.pgid, marker: this.sc.marker, notBefore: this.sc.startTicks },
        exited: child.exited,
        stopSignal: this.node.stopSignal as NodeJS.Signals,
        timeoutMs: this.node.stopTimeoutMs,
        skipGrace: this.#skipGrace.signal,
      });
      this.#lastExit = outcome.exit ?? this.#lastExit;
      this.sc.say(`stopped: ${outcome.reason}`);
    } else {
      // No child, but a build or probe may be running: nothing of the service outlives the sidecar.
      outcome = await stopChild({ gen: { pid: null, pgid: null, marker: this.sc.marker, notBefore: this.sc.startTicks }, exited: Promise.resolve({ code: null, signal: null }), stopSignal: 'SIGTERM', timeoutMs: 1000, skipGrace: this.#skipGrace.signal });
    }
    this.#child = undefined;
    this.enter({ state: 'stopped', reason: child ? outcome.reason : stoppedWhile(before) });
  }

  // ---- the run loop -----------------------------------------------------------------

  private async loop(): Promise<void> {
    const deps = this.node.dependsOn;
    if (deps.length > 0) {
      this.enter({ state: 'pending', waitingFor: deps.map((d) => d.key) });
      const ready = await waitForDependencies(this.sc.plan.stateDir, deps, this.sc.plan.runId, this.#stopCtl.signal, (waiting) =>
        this.enter({ state: 'pending', waitingFor: waiting }),
      );
      if (!ready) return;
    }
    while (this.#stopReason === undefined) {
      const next = await this.runGeneration();
      if (next === 'stop') return;
    }
  }

  /** One generation: build, spawn, supervise until it ends; then what to do next. */
  private async runGeneration(): Promise<'again' | 'stop'> {
    if (this.node.build) {
      this.enter({ state: 'building', generation: this.#generation + 1 });
      const built = await this.runBuild(this.node.build);
      if (this.#stopReason !== undefined) return 'stop';
      if (!built.ok) return this.afterEnd(`build failed: ${built.detail}`, { code: built.code, signal: null });
    }
    const gen = ++this.#generation;
    this.#healthyAt = null;
    this.#conflict = null;
    const spawned = spawnChild({
      command: this.node.command,
      cwd: this.node.cwd,
      env: childEnv(this.sc.plan, this.node),
      cols: process.stdout.columns || 120,
      rows: process.stdout.rows || 30,
      onData: (d) => this.sc.childOutput(d),
    });
    if (!spawned.ok) {
      this.sc.say(spawned.reason);
      // As if the command had exited 127 (the shell's "not found"): the restart policy decides.
      return this.afterEnd(spawned.reason, { code: 127, signal: null });
    }
    const child = spawned.child;
    this.#child = child;
    this.wireTerminal(child);
    this.enter({ state: 'starting', generation: gen }, this.isTask ? {} : { health: { ok: false, detail: 'starting' } });

    const healthCtl = new AbortController();
    if (!this.isTask) this.healthLoop(child, gen, healthCtl.signal).catch((err: unknown) => this.bug(err));
    const mailCtl = new AbortController();
    const outcome = await Promise.race([
      child.exited.then((exit) => ({ kind: 'exit' as const, exit })),
      this.#mail.next(mailCtl.signal).then((kind) => (kind === 'stop' ? { kind } : kind === 'restart' ? { kind } : new Promise<never>(() => {}))),
    ]);
    mailCtl.abort();
    healthCtl.abort();

    if (outcome.kind === 'stop') return 'stop';
    if (outcome.kind === 'restart') {
      const stopped = await this.stopGeneration(child);
      this.sc.say(`restart requested: ${stopped.reason}`);
      this.#child = undefined;
      this.#restarts++;
      this.#backoff.reset();
      return 'again';
    }

    // The child ended by itself. Is its port held by another program (it died of EADDRINUSE)?
    const failedExit = outcome.exit.code !== 0 || outcome.exit.signal !== null;
    this.#conflict = failedExit && !this.isTask ? this.foreignHolder(child) : null;
    // Reap what it left, then decide.
    const rest = await this.stopGeneration(child);
    if (rest.survivors.length > 0) this.sc.say(`could not kill: ${rest.survivors.join(', ')}`);
    this.#child = undefined;
    if (this.#stopReason !== undefined) return 'stop';
    const c = this.#conflict;
    const words = c ? `${describeExit(outcome.exit)}: port ${c.port} is in use by ${c.command || 'another process'} (pid ${c.pid})` : describeExit(outcome.exit);
    return this.afterEnd(words, outcome.exit);
  }

  /** A child (or its build, or its spawn) ended without being asked to: complete, fail, stay exited, or back off per policy. */
  private async afterEnd(words: string, exit: ExitInfo): Promise<'again' | 'stop'> {
    this.#lastExit = exit;
    if (this.isTask) {
      if (exit.code === 0 && exit.signal === null) this.enter({ state: 'completed', exit });
      else this.enter({ state: 'failed', exit, reason: words });
      this.sc.say(`task ${words}`);
      return this.park();
    }
    if (!shouldRestart(this.node.restart, exit, false)) {
      this.enter({ state: 'exited', exit, reason: words });
      this.sc.say(`${words}; restart = "${this.node.restart}": not restarting`);
      return this.park();
    }
    const now = Date.now();
    const b = this.#backoff.fail(now, this.#healthyAt === null ? 0 : now - this.#healthyAt);
    this.enter(b.crashloop ? { state: 'crashloop', delayMs: b.delayMs, attempt: b.attempt, reason: words } : { state: 'backoff', delayMs: b.delayMs, attempt: b.attempt, reason: words });
    this.sc.say(describeLifecycle(this.#life));
    const timer = new AbortController();
    const t = setTimeout(() => timer.abort(), b.delayMs);
    const r = await this.#mail.next(timer.signal);
    clearTimeout(t);
    if (r === 'stop' || this.#stopReason !== undefined) return 'stop';
    if (r === 'restart') this.#backoff.reset();
    this.#restarts++;
    return 'again';
  }

  /** Stays exited (or completed/failed) until a restart or stop request. */
  private async park(): Promise<'again' | 'stop'> {
    const r = await this.#mail.next();
    if (r !== 'restart') return 'stop';
    this.#restarts++;
    this.#backoff.reset();
    return 'again';
  }

  private stopGeneration(child: ChildHandle): Promise<StopOutcome> {
    return stopChild({
      gen: { pid: child.pid, pgid: child.pgid, marker: this.sc.marker, notBefore: this.sc.startTicks },
      exited: child.exited,
      stopSignal: this.node.stopSignal as NodeJS.Signals,
      timeoutMs: this.node.stopTimeoutMs,
      skipGrace: this.#skipGrace.signal,
    });
  }

  // ---- the child and its port -----------------------------------------------------

  /** Running, not a zombie: a probe answered by anything else says nothing about this child. */
  private childRunning(child: ChildHandle): boolean {
    return child.exit === undefined && isRunning(child.pid);
  }

  /**
   * Who listens on the service's port, when it is neither this child nor anything
   * of its generation: a program that held the port before the child started (a
   * holder younger than the child may be its own doing, a docker-proxy say, and
   * one /proc cannot name is given the benefit of the doubt).
   */
  private foreignHolder(child: ChildHandle): PortConflict | null {
    const port = this.node.port;
    if (port === null) return null;
    const inodes = listenerInodes(port);
    if (!inodes || inodes.size === 0 || holdsSocket(child.pid, inodes)) return null;
    const ours = generationProcesses({ pid: child.pid, pgid: child.pgid, marker: this.sc.marker, notBefore: this.sc.startTicks });
    if (ours.some((pid) => holdsSocket(pid, inodes))) return null;
    const holder = findPortHolder(port);
    if (!holder || (holder.start !== null && child.start !== null && holder.start >= child.start)) return null;
    return { port, pid: holder.pid, command: holder.command };
  }

  /** Whether a passing probe went to this service's port: then its holder must be this child's. */
  private probesOwnPort(): boolean {
    const h = this.node.health;
    if (this.node.port === null) return false;
    if (h.type === 'tcp') return true;
    if (h.type !== 'http' || !h.url) return false;
    try {
      return Number(new URL(h.url).port) === this.node.port;
    } catch {
      return false;
    }
  }

  // ---- health ---------------------------------------------------------------------

  private async healthLoop(child: ChildHandle, gen: number, signal: AbortSignal): Promise<void> {
    const h = this.node.health;
    const ctx = {
      port: this.node.port,
      host: this.node.host,
      env: childEnv(this.sc.plan, this.node),
      cwd: this.node.cwd,
      childPid: () => (child.exit === undefined ? child.pid : null),
      spawnedAt: () => child.spawnedAt,
    };
    const current = () => (this.#generation === gen && !signal.aborted ? this.#life.state : undefined);
    const deadline = child.spawnedAt + h.timeoutMs;
    // Starting: probe until healthy or the timeout, every 10 ms for the first second (most dev
    // servers listen within it, and a refused connect costs microseconds), then doubling up to
    // `interval`: a fast service is seen at once, a slow one is not hammered.
    let pause = 10;
    const fastUntil = child.spawnedAt + 1000;
    for (;;) {
      let r = await probe(h, ctx, signal);
      if (current() !== 'starting') return;
      // Only this child can make its service healthy: not while it is gone, not through another program on its port.
      if (r.ok && !this.childRunning(child)) return;
      if (r.ok && this.probesOwnPort()) {
        const other = this.foreignHolder(child);
        if (other) r = { ok: false, detail: `port ${other.port} answers, but ${other.command || 'another process'} (pid ${other.pid}) holds it, not this service's child` };
      }
      if (r.ok) {
        this.#healthyAt = Date.now();
        this.enter({ state: 'healthy', generation: gen }, { health: r });
        break;
      }
      if (Date.now() >= deadline) {
        this.enter({ state: 'unhealthy', generation: gen, detail: r.detail }, { health: r });
        this.sc.say(`not healthy after ${h.timeoutMs} ms: ${r.detail}`);
        break;
      }
      this.noteHealth(r);
      const wait = Math.min(h.intervalMs, pause);
      if (Date.now() >= fastUntil) pause *= 2;
      await sleep(h.type === 'process' ? Math.min(h.intervalMs, Math.max(10, h.settleMs - (Date.now() - child.spawnedAt))) : wait, signal);
    }
    // Running: a slower pace; flip healthy ⇄ unhealthy.
    let failures = 0;
    for (;;) {
      await sleep(h.recheckIntervalMs, signal);
      if (current() === undefined) return;
      const r = await probe(h, ctx, signal);
      const state = current();
      if (state === undefined) return;
      if (r.ok) {
        failures = 0;
        if (state === 'unhealthy') {
          if (!this.childRunning(child)) return;
          this.#healthyAt = Date.now();
          this.enter({ state: 'healthy', generation: gen }, { health: r });
        } else this.noteHealth(r);
      } else {
        failures++;
        if (state === 'healthy' && failures >= STEADY_FAILURES_TO_UNHEALTHY) {
          this.#healthyAt = null;
          this.enter({ state: 'unhealthy', generation: gen, detail: r.detail }, { health: r });
          this.sc.say(`unhealthy: ${r.detail}`);
        } else this.noteHealth(r);
      }
    }
  }

  /** Records a probe that did not change the state; an idle sidecar writes nothing when nothing changed. */
  private noteHealth(r: ProbeResult): void {
    const h = this.sc.record.state.health;
    if (h && h.ok === r.ok && h.detail === r.detail) {
      h.checked_at = new Date().toISOString(); // served fresh by GET /state, never worth a write
      return;
    }
    this.sc.update({ health: { ok: r.ok, detail: r.detail, checked_at: new Date().toISOString() } });
  }

  // ---- build and terminal -------------------------------------------------------------

  private async runBuild(argv: string[]): Promise<{ ok: boolean; detail: string; code: number | null }> {
    const { spawn } = await import('node:child_process');
    return new Promise((resolve) => {
      const [file, ...args] = argv;
      if (!file) return resolve({ ok: false, detail: 'empty build command', code: null });
      this.sc.say(`build: ${argv.join(' ')}`);
      const p = spawn(file, args, { cwd: this.node.cwd, env: childEnv(this.sc.plan, this.node), stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout.on('data', (d: Buffer) => this.sc.childOutput(d));
      p.stderr.on('data', (d: Buffer) => this.sc.childOutput(d));
      p.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, detail: e.code === 'ENOENT' ? `command not found: ${file}` : e.message, code: 127 }));
      p.once('close', (code, sig) => resolve({ ok: code === 0, detail: sig ? `killed by ${sig}` : `exited ${code}`, code }));
    });
  }

  /** In a pane: keys go to the child, and the child follows the pane's size. */
  private wireTerminal(child: ChildHandle): void {
    if (process.stdout.isTTY) {
      const onResize = () => child.resize(process.stdout.columns, process.stdout.rows);
      process.stdout.on('resize', onResize);
      void child.exited.then(() => process.stdout.off('resize', onResize));
    }
    if (process.stdin.isTTY && !this.#stdinWired) {
      this.#stdinWired = true;
      process.stdin.setRawMode(true);
      process.stdin.on('data', (d: Buffer) => this.#child?.write(d));
      process.stdin.resume();
    }
  }

  #stdinWired = false;
}
