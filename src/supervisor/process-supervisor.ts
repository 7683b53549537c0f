// Supervises one process-backed node (exec service, task, exec route): waits
// for dependencies, builds, spawns the child in a pty, probes its health,
// restarts it per policy with backoff, reloads it when its files change, and
// stops its whole generation.

import { isatty } from 'node:tty';
import { childEnv } from '../plan/child-env.js';
import { findPortHolder, holdsSocket, listenerInodes } from '../plan/listening.js';
import type { BuildRecord, PortConflict } from '../state/types.js';
import { safeKill, sleep } from '../sys/kill.js';
import { generationProcesses, isRunning } from '../sys/procfs.js';
import { startMark } from '../util/start-trace.js';
import { Backoff, shouldRestart } from './backoff.js';
import { startBuild, type BuildResult, type RunningBuild } from './build.js';
import { spawnChild, type ChildHandle } from './child.js';
import { waitForDependencies } from './deps.js';
import { describeExit, type ExitInfo } from './exit.js';
import { stopChild, type StopOutcome } from './graceful.js';
import { probe, type ProbeResult } from './health.js';
import { describeLifecycle, type Lifecycle } from './lifecycle.js';
import { Mailbox } from './mailbox.js';
import type { Service, Sidecar } from './sidecar.js';
import type { Change, FileWatcher } from './watch.js';

/** How long a starting service's failing probes stay unwritten (see healthLoop). */
const QUIET_START_MS = 1000;

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
  #watcher: FileWatcher | undefined;
  /** A hot reload's build, running while the current child keeps serving. */
  #bgBuild: { id: number; run: RunningBuild; trigger: Change } | undefined;
  #buildIds = 0;
  /** The files changed since the last build started: carried into the next build record. */
  #trigger: Change | undefined;
  /** Set when a background build succeeded: the next generation starts from it without building again. */
  #prebuilt = false;
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
    this.#mail.post({ kind: 'restart' });
    return { accepted: true, message: 'restarting' };
  }

  stop(reason: string): void {
    if (this.#stopReason !== undefined) {
      this.#skipGrace.abort();
      return;
    }
    this.#stopReason = reason;
    this.#stopCtl.abort();
    this.#mail.post({ kind: 'stop' });
    this.#bgBuild?.run.cancel();
    void this.#watcher?.close();
    this.#stopped = this.shutdown(reason);
  }

  private async shutdown(reason: string): Promise<void> {
    startMark('stop-begun');
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
      startMark('child-stopped');
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
    if (this.node.watch.length > 0) this.startWatching();
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
    if (this.node.build && !this.#prebuilt) {
      const built = await this.buildBeforeStart(this.node.build);
      if (built === 'stop') return 'stop';
      if (!built.ok) return this.afterEnd(`build failed: ${built.detail}`, { code: built.exitCode, signal: null });
    } else if (!this.node.build) {
      this.#mail.drop('reload'); // the child reads the files as they are now
    }
    this.#prebuilt = false;
    const gen = ++this.#generation;
    this.#healthyAt = null;
    this.#conflict = null;
    this.sc.output.setGeneration(gen);
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
    const outcome = await this.superviseChild(child);
    healthCtl.abort();
    this.#bgBuild?.run.cancel();
    this.#bgBuild = undefined;

    switch (outcome.kind) {
      case 'stop':
        return 'stop';
      case 'restart': {
        const stopped = await this.stopGeneration(child);
        this.sc.say(`restart requested: ${stopped.reason}`);
        this.#child = undefined;
        this.#restarts++;
        this.#backoff.reset();
        return 'again';
      }
      case 'reload': {
        // Hot reload: the old generation goes (the proxy holds requests meanwhile), the new one starts.
        this.enter({ state: 'reloading', generation: gen, trigger: outcome.change.paths.join(', ') });
        const stopped = await this.stopGeneration(child);
        this.sc.say(`reloading (${describeChange(outcome.change)}): ${stopped.reason}`);
        this.#child = undefined;
        this.#backoff.reset();
        return 'again';
      }
      case 'exit':
        break;
      default: {
        const never: never = outcome;
        return never;
      }
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

  /**
   * While the child runs: until it exits, or a stop, a restart, or a reload ends this
   * generation. A reload with `reload_signal` signals the child and goes on; with a
   * `build`, the build runs while the child keeps serving, and only a successful one ends
   * the generation (a failed one is recorded and the child stays).
   */
  private async superviseChild(child: ChildHandle): Promise<{ kind: 'exit'; exit: ExitInfo } | { kind: 'stop' } | { kind: 'restart' } | { kind: 'reload'; change: Change }> {
    const exited = child.exited.then((exit) => ({ kind: 'exit' as const, exit }));
    for (;;) {
      const ctl = new AbortController();
      const next = await Promise.race([exited, this.#mail.next(ctl.signal)]);
      ctl.abort();
      if (next === undefined) continue;
      switch (next.kind) {
        case 'exit':
        case 'stop':
        case 'restart':
          return next;
        case 'reload': {
          const sig = this.node.reloadSignal;
          if (sig) {
            // nginx, gunicorn: they reload themselves on a signal; same process, same generation.
            // The group (the child leads it): once, or a handler that counts would count twice.
            if (!safeKill(-child.pgid, sig as NodeJS.Signals)) safeKill(child.pid, sig as NodeJS.Signals);
            this.recordReload('signal', next.change);
            this.sc.say(`${sig} sent (${describeChange(next.change)})`);
            continue;
          }
          if (!this.node.build) {
            this.recordReload('restart', next.change);
            return next;
          }
          this.startBackgroundBuild(this.node.build, next.change);
          continue;
        }
        case 'built': {
          const bg = this.#bgBuild;
          if (!bg || bg.id !== next.id || next.result.cancelled) continue; // an older, cancelled build
          this.#bgBuild = undefined;
          this.recordBuild(next.result, bg.trigger);
          if (!next.result.ok) {
            this.sc.say(`build failed (${next.result.detail}): generation ${this.#generation} keeps running`);
            continue;
          }
          this.#prebuilt = true;
          this.recordReload('restart', bg.trigger);
          return { kind: 'reload', change: bg.trigger };
        }
        default: {
          const never: never = next;
          return never;
        }
      }
    }
  }

  // ---- hot reload ------------------------------------------------------------------

  private startWatching(): void {
    // Loaded only by sidecars that watch something (its own bundle: the watcher and its glob matcher).
    void import('./watch.js')
      .then(async ({ FileWatcher }) => {
        if (this.#stopReason !== undefined) return;
        const w = new FileWatcher(
          { cwd: this.node.cwd, patterns: this.node.watch, ignore: this.node.watchIgnore, debounceMs: this.node.watchDebounceMs },
          (change) => this.#mail.post({ kind: 'reload', change }),
        );
        this.#watcher = w;
        const { files } = await w.start();
        if (this.#stopReason === undefined) this.sc.say(`watching ${files} file${files === 1 ? '' : 's'} (${this.node.watch.join(', ')})`);
      })
      .catch((err: unknown) => this.sc.say(`cannot watch files: ${(err as Error).message}`));
  }

  /** A build while the child keeps serving; a newer change cancels it and starts another (the latest edit wins). */
  private startBackgroundBuild(argv: string[], change: Change): void {
    const previous = this.#bgBuild;
    if (previous) {
      previous.run.cancel();
      this.sc.say('build cancelled: files changed again');
    }
    const trigger = previous ? mergeChanges(previous.trigger, change) : change;
    const id = ++this.#buildIds;
    const run = this.launchBuild(argv, trigger);
    this.#bgBuild = { id, run, trigger };
    void run.done.then((result) => this.#mail.post({ kind: 'built', id, result }));
  }

  /** The build before a start (the first, or after a crash): edits meanwhile cancel it and build again. */
  private async buildBeforeStart(argv: string[]): Promise<BuildResult | 'stop'> {
    this.enter({ state: 'building', generation: this.#generation + 1 });
    let trigger = this.#trigger ?? { paths: [], count: 0 };
    this.#trigger = undefined;
    for (;;) {
      this.#mail.drop('reload'); // this build reads the files as they are now
      const run = this.launchBuild(argv, trigger);
      const ctl = new AbortController();
      for (;;) {
        const next = await Promise.race([run.done.then((result) => ({ kind: 'done' as const, result })), this.#mail.next(ctl.signal)]);
        if (next?.kind === 'done') {
          ctl.abort();
          this.recordBuild(next.result, trigger);
          return this.#stopReason !== undefined ? 'stop' : next.result;
        }
        if (next?.kind === 'stop') {
          ctl.abort();
          run.cancel();
          return 'stop';
        }
        if (next?.kind === 'reload' || next?.kind === 'restart') {
          ctl.abort();
          run.cancel();
          await run.done;
          this.sc.say('build cancelled: files changed again');
          if (next.kind === 'reload') trigger = mergeChanges(trigger, next.change);
          break;
        }
        // A stale `built` of an earlier background build: keep waiting for this one.
      }
    }
  }

  private launchBuild(argv: string[], trigger: Change): RunningBuild {
    this.sc.say(`build: ${argv.join(' ')}${trigger.count > 0 ? ` (${describeChange(trigger)})` : ''}`);
    this.sc.update({ build: { ok: null, exit_code: null, tail: '', started_at: new Date().toISOString(), duration_ms: null, trigger: trigger.paths } });
    return startBuild({ argv, cwd: this.node.cwd, env: childEnv(this.sc.plan, this.node), onOutput: (d) => this.sc.childOutput(d) });
  }

  private recordBuild(r: BuildResult, trigger: Change): void {
    const started = this.sc.record.state.build?.started_at ?? new Date(Date.now() - r.durationMs).toISOString();
    const build: BuildRecord = { ok: r.ok, exit_code: r.exitCode, tail: r.ok ? '' : r.tail, started_at: started, duration_ms: r.durationMs, trigger: trigger.paths };
    this.sc.update({ build });
  }

  private recordReload(how: 'restart' | 'signal', change: Change): void {
    this.sc.update({ reload: { at: new Date().toISOString(), how, signal: how === 'signal' ? this.node.reloadSignal : null, trigger: change.paths, count: change.count } });
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
    // A change to its files is worth trying at once (the edit may be the fix).
    const r = await this.nextUntil(timer.signal);
    clearTimeout(t);
    if (r?.kind === 'stop' || this.#stopReason !== undefined) return 'stop';
    if (r?.kind === 'restart' || r?.kind === 'reload') this.#backoff.reset();
    if (r?.kind === 'reload') this.noteReloadWhileDown(r.change);
    this.#restarts++;
    return 'again';
  }

  /** The next stop, restart or reload (a stale `built` is dropped), or undefined once `signal` aborts. */
  private async nextUntil(signal?: AbortSignal) {
    for (;;) {
      const r = await this.#mail.next(signal);
      if (r?.kind !== 'built') return r;
    }
  }

  /** Files changed while no child runs: the next generation is the reload (its build is triggered by them). */
  private noteReloadWhileDown(change: Change): void {
    this.recordReload('restart', change);
    this.#trigger = this.#trigger ? mergeChanges(this.#trigger, change) : change;
    this.sc.say(`files changed (${describeChange(change)}): starting again`);
  }

  /** Stays exited (or completed/failed) until a restart, a change to its files, or a stop. */
  private async park(): Promise<'again' | 'stop'> {
    const r = await this.nextUntil();
    if (r === undefined || r.kind === 'stop') return 'stop';
    if (r.kind === 'reload') this.noteReloadWhileDown(r.change);
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
    // Starting: probe until healthy or the timeout, the pause a tenth of the time waited so
    // far (at least 10 ms, at most `interval`): a service that listens at once is seen within
    // 10 ms, and one that takes a second is seen at most ~10 % late. A refused connect costs a
    // Node sidecar 1-2 ms of CPU; probing every 10 ms for a second cost ten sidecars, starting
    // together on 2 cores, what their children needed to boot (bench/RESULTS.md, sidecar-profile).
    // Once a probe has found the port free after this child started, the listener that answers
    // later is the child's (or one racing it for that port, which then fails to bind and exits):
    // no /proc walk for its owner, which cost ~4 ms of CPU at every start.
    let seenFree = false;
    for (;;) {
      let r = await probe(h, ctx, signal);
      startMark(r.ok ? 'probe-ok' : 'probe-refused');
      if (current() !== 'starting') return;
      if (r.free === true) seenFree = true;
      // Only this child can make its service healthy: not while it is gone, not through another program on its port.
      if (r.ok && !this.childRunning(child)) return;
      if (r.ok && !seenFree && this.probesOwnPort()) {
        const other = this.foreignHolder(child);
        if (other) r = { ok: false, detail: `port ${other.port} answers, but ${other.command || 'another process'} (pid ${other.pid}) holds it, not this service's child` };
      }
      if (r.ok) {
        this.#healthyAt = Date.now();
        startMark('port-owner-checked');
        this.enter({ state: 'healthy', generation: gen }, { health: r });
        startMark('healthy-written');
        break;
      }
      if (Date.now() >= deadline) {
        this.enter({ state: 'unhealthy', generation: gen, detail: r.detail }, { health: r });
        this.sc.say(`not healthy after ${h.timeoutMs} ms: ${r.detail}`);
        break;
      }
      // Nothing listening yet in the first second is every start's normal ("starting" says it):
      // written after that, when it explains a slow start; any other answer (a 500) at once.
      // Each write wakes `up` and costs the sidecar ~1 ms.
      if (r.free !== true || Date.now() - child.spawnedAt >= QUIET_START_MS) this.noteHealth(r);
      const wait = Math.min(h.intervalMs, Math.max(10, (Date.now() - child.spawnedAt) / 10));
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

  // ---- terminal -----------------------------------------------------------------------

  /** In a pane: keys go to the child, and the child follows the pane's size. */
  private wireTerminal(child: ChildHandle): void {
    if (process.stdout.isTTY) {
      const onResize = () => child.resize(process.stdout.columns, process.stdout.rows);
      process.stdout.on('resize', onResize);
      void child.exited.then(() => process.stdout.off('resize', onResize));
    }
    // isatty(0), not process.stdin.isTTY: the getter builds a stream for stdin whatever it is
    // (for /dev/null, Node's fs streams: ~14 ms of a detached sidecar's start).
    if (!this.#stdinWired && isatty(0)) {
      this.#stdinWired = true;
      process.stdin.setRawMode(true);
      process.stdin.on('data', (d: Buffer) => this.#child?.write(d));
      process.stdin.resume();
    }
  }

  #stdinWired = false;
}

/** "src/a.ts, src/b.ts and 3 more" */
export function describeChange(c: Change): string {
  if (c.count === 0) return 'no files';
  const shown = c.paths.slice(0, 3);
  const more = c.count - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

function mergeChanges(a: Change, b: Change): Change {
  return { paths: [...new Set([...a.paths, ...b.paths])].slice(0, 10), count: a.count + b.count };
}
