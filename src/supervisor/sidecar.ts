// The shell every sidecar shares: it owns .devport/<key>/ (lock, state.json,
// output.log, rpc.sock), answers signals, and runs one Service inside. Every
// state change goes through Sidecar.transition, checked against the lifecycle
// table; an illegal one is a bug and throws.

import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { writeFileAtomic } from '../state/atomic.js';
import { ensureServiceDir, OUTPUT_LOG, STATE_FILE } from '../state/dirs.js';
import { acquireLock, type HeldLock } from '../state/lock.js';
import { serviceMarker } from '../state/marker.js';
import { readState } from '../state/read.js';
import type { ServiceRecord, ServiceStateName, StateFile, SupervisorRecord } from '../state/types.js';
import { readStat, ticksAt, type Generation } from '../sys/procfs.js';
import { GenerationTracker } from '../sys/kill.js';
import { verifyChild } from '../sys/trust.js';
import { childProcess } from '../util/builtin.js';
import { startMark } from '../util/start-trace.js';
import { VERSION } from '../version.js';
import { checkTransition, IllegalTransition } from './lifecycle.js';
import { OutputLog, ROTATE_BYTES } from './output-log.js';
import { startRpcServer } from './rpc-server.js';

/** What runs inside a sidecar: a supervised process, or a proxy's router. */
export interface Service {
  /** Runs until stopped; resolves when the service is fully stopped. */
  run(): Promise<void>;
  /** A new generation, same port. */
  restart(): { accepted: boolean; message: string };
  /** First call: graceful. A second call skips what is left of the grace period. */
  stop(reason: string): void;
  /** rpc.sock endpoints of this kind of service (GET /requests on a proxy): true when it answered the request. */
  rpc?(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL): boolean;
}

/** A change to the state record other than the state itself (that is `transition`'s). */
export type StatePatch = Partial<Omit<ServiceRecord, 'state'>>;

/** output.log, never through a planted symlink or into something that is not a file. */
function openOutput(file: string, onRotate: () => void): OutputLog {
  try {
    return new OutputLog(file, ROTATE_BYTES, onRotate);
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'is a symbolic link' : code ? `cannot be opened (${code})` : 'is not a regular file';
    throw new UserError([
      failure('STATE_UNSAFE', `${file} ${why}: devport does not write through it`, { hint: `remove it (\`rm ${JSON.stringify(file)}\`); devport creates its output log itself` }),
    ]);
  }
}

const DIM = (s: string) => (process.stdout.isTTY ? `\u001b[2m${s}\u001b[22m` : s);

export class Sidecar {
  readonly dir: string;
  readonly output: OutputLog;
  readonly marker: string[];
  /** This sidecar's start (/proc ticks): nothing of its service is older. */
  readonly startTicks: number | null = readStat(process.pid)?.start ?? null;
  #record: StateFile;
  #written = '';
  #lost = false;
  readonly #subscribers = new Set<(s: StateFile) => void>();
  /** Called once when the state dir is gone or cannot be written: the service must stop. */
  onLost: (reason: string) => void = () => {};

  constructor(
    readonly plan: Plan,
    readonly node: PlanNode,
    readonly lockKind: HeldLock['kind'],
  ) {
    this.dir = path.join(plan.stateDir, node.key);
    this.output = openOutput(path.join(this.dir, OUTPUT_LOG), () => this.update({}, { output_offset: 0 }));
    this.marker = serviceMarker(plan.projectDir, node.key);
    const now = new Date().toISOString();
    const supervisor: SupervisorRecord = {
      key: node.key,
      pid: process.pid,
      pid_start: this.startTicks,
      started_at: now,
      version: VERSION,
      spec: plan.spec,
      run_id: plan.runId,
      tmux: process.env.TMUX && process.env.TMUX_PANE ? { session: plan.tmuxSession, window: '', pane: process.env.TMUX_PANE } : null,
      depends_on: node.dependsOn.map((d) => d.key),
      lock: lockKind,
      output_offset: this.output.start,
    };
    const state: ServiceRecord = {
      type: node.kind,
      state: 'pending',
      port: node.port,
      url: node.url,
      pid: null,
      pgid: null,
      pid_start: null,
      generation: 0,
      restarts: 0,
      exit_code: null,
      signal: null,
      reason: null,
      since: now,
      health: null,
      next_restart_at: null,
      conflict: null,
    };
    this.#record = { supervisor, state };
  }

  get record(): StateFile {
    return this.#record;
  }

  get state(): ServiceStateName {
    return this.#record.state.state;
  }

  /** The one way a state changes. An illegal transition is a bug in devport: it throws. */
  transition(to: ServiceStateName, patch: StatePatch = {}): void {
    const from = this.#record.state.state;
    if (!checkTransition(from, to)) throw new IllegalTransition(from, to);
    this.write({ ...patch, state: to, since: from === to ? this.#record.state.since : new Date().toISOString() }, {});
  }

  /** Merges `patch` (never the state itself) into the record; writes and notifies when something changed. */
  update(patch: StatePatch, supervisor: Partial<SupervisorRecord> = {}): void {
    this.write(patch, supervisor);
  }

  private write(patch: Partial<ServiceRecord>, supervisor: Partial<SupervisorRecord>): void {
    const state = { ...this.#record.state, ...patch };
    this.#record = { supervisor: { ...this.#record.supervisor, ...supervisor }, state };
    // A probe that only refreshed checked_at is not a change worth a write.
    const comparable = JSON.stringify({ ...this.#record, state: { ...state, health: state.health ? { ...state.health, checked_at: '' } : null } });
    if (comparable === this.#written) return;
    this.#written = comparable;
    if (!this.#lost) {
      try {
        writeFileAtomic(path.join(this.dir, STATE_FILE), JSON.stringify(this.#record, null, 2) + '\n', 0o600);
      } catch (err: unknown) {
        this.lose(`cannot write ${STATE_FILE}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    for (const fn of this.#subscribers) fn(this.#record);
  }

  /** The state dir went away (or cannot be written): nobody can see this sidecar any more, so it stops its service. */
  lose(reason: string): void {
    if (this.#lost) return;
    this.#lost = true;
    this.say(`${reason}: stopping`);
    this.onLost(reason);
  }

  subscribe(fn: (s: StateFile) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  /** A status line of devport's own, in the pane and in output.log. */
  say(message: string): void {
    const line = `[devport] ${message}\n`;
    this.output.write(line);
    if (process.stdout.isTTY) process.stdout.write(DIM(line));
  }

  /** The child's output: to output.log always, to the pane when there is one. */
  childOutput(d: Buffer): void {
    this.output.write(d);
    if (process.stdout.isTTY) process.stdout.write(d);
  }
}

/**
 * Kills what a SIGKILLed predecessor left: its recorded child — only once that
 * pid proves to be this service's (start time, env marker) — and anything else
 * carrying the marker.
 */
async function reapOrphans(prev: StateFile | undefined, marker: string[], say: (m: string) => void): Promise<void> {
  // A predecessor that stopped cleanly made sure nothing of it was left.
  if (prev?.state.state === 'stopped') return;
  const child = prev ? verifyChild(prev.state, marker) : undefined;
  const started = prev ? Date.parse(prev.supervisor.started_at) : NaN;
  const gen: Generation = { pid: child?.pid ?? null, pgid: child?.pgid ?? null, marker, notBefore: Number.isFinite(started) ? ticksAt(started) : null };
  const tracker = new GenerationTracker(gen);
  const found = tracker.scan();
  if (found.length === 0) return;
  say(`reaping ${found.length} process(es) left by a previous sidecar: ${found.join(', ')}`);
  await tracker.kill();
}

/**
 * The pane is known from the environment; the window id costs a tmux round trip (a client, and
 * `child_process` loaded: ~10 ms of CPU), so it comes later: 5 s on, past the start of a stack
 * of twenty, whose sidecars it would otherwise compete with.
 */
function lookupTmuxWindow(sidecar: Sidecar): void {
  const pane = process.env.TMUX_PANE;
  if (!pane || !process.env.TMUX) return;
  setTimeout(() => {
    childProcess().execFile('tmux', ['display-message', '-p', '-t', pane, '#{session_name}\t#{window_id}'], (err, out) => {
      if (err) return;
      const [session = '', window = ''] = out.trim().split('\t');
      sidecar.update({}, { tmux: { session, window, pane } });
    });
  }, 5000).unref();
}

/**
 * Watches the state dir: removed or replaced (rm -rf .devport) means this sidecar
 * is lost. inotify says so at once when it can; a dir removed between two events
 * is not always reported, so a slow check backs it up (one stat a second).
 */
function watchStateDir(sidecar: Sidecar): { close(): void } {
  const idOf = (): string => {
    try {
      const st = statSync(sidecar.dir);
      return `${st.dev}:${st.ino}`;
    } catch {
      return '';
    }
  };
  const id = idOf();
  const check = () => {
    if (idOf() !== id) sidecar.lose(`its state dir ${sidecar.dir} was removed`);
  };
  let w: FSWatcher | undefined;
  try {
    // A removal is 'rename' events (its files, then the dir itself); 'change' is a write (every
    // chunk of output into output.log), which says nothing about the dir.
    w = watch(sidecar.dir, { persistent: false }, (event) => event === 'rename' && check());
    w.on('error', check);
  } catch {
    /* the timer covers it */
  }
  const timer = setInterval(check, 1000);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
      w?.close();
    },
  };
}

export interface SidecarOptions {
  /** Checked once the lock is held: false when the `up` that launched this sidecar gave up meanwhile. */
  stillWanted?: () => boolean;
}

export async function runSidecar(plan: Plan, key: string, makeService: (s: Sidecar) => Promise<Service>, opts: SidecarOptions = {}): Promise<number> {
  const node = plan.nodes.find((n) => n.key === key);
  if (!node) {
    throw new UserError([failure('SERVICE_UNKNOWN', `no service "${key}" in the plan`, { hint: `the services are: ${plan.nodes.map((n) => n.key).join(', ')}` })]);
  }
  // Builds and children get the umask of whoever ran `up`, not tmux's.
  if (plan.umask !== undefined) process.umask(plan.umask);
  const dir = ensureServiceDir(plan.stateDir, key);
  const lock = await acquireLock(dir);
  if (!lock.ok) {
    if (lock.reason === 'held') {
      throw new UserError([
        failure('ALREADY_RUNNING', `"${key}" is already supervised${lock.holderPid ? ` by pid ${lock.holderPid}` : ''}`, {
          hint: '`devport down` stops it; `devport restart ' + key + '` restarts its child',
        }),
      ]);
    }
    throw new Error(`cannot lock ${dir}: ${lock.detail}`);
  }
  startMark('lock-held');
  if (opts.stillWanted && !opts.stillWanted()) {
    lock.lock.release();
    return 0;
  }

  const prev = readState(dir);
  const sidecar = new Sidecar(plan, node, lock.lock.kind);
  // The first write at once: `up` and `down` see a live sidecar with this run's id from now on.
  sidecar.update({});
  startMark('first-state-written');
  await reapOrphans(prev.kind === 'ok' ? prev.file : undefined, sidecar.marker, (m) => sidecar.say(m));
  startMark('orphan-scan-done');
  const service = await makeService(sidecar);
  startMark('service-made');
  sidecar.onLost = (reason) => service.stop(reason);
  const dirWatch = watchStateDir(sidecar);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => service.stop(`${sig} received`));
  // A bug must not orphan the child: say why, stop the service, then exit.
  const onBug = (err: unknown) => {
    sidecar.say(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    service.stop('internal error in the supervisor');
    setTimeout(() => process.exit(70), node.stopTimeoutMs + 5000).unref();
  };
  process.on('uncaughtException', onBug);
  process.on('unhandledRejection', onBug);
  // The child first (run() spawns it before its first await), the control socket right after.
  const running = service.run();
  startMark('run-called');
  let rpc: { close(): Promise<void> };
  try {
    rpc = await startRpcServer(dir, {
      state: () => sidecar.record,
      subscribe: (fn) => sidecar.subscribe(fn),
      logFile: sidecar.output.file,
      logStart: () => sidecar.record.supervisor.output_offset ?? 0,
      restart: () => service.restart(),
      stop: () => service.stop('stop requested over rpc.sock'),
      ...(service.rpc ? { extra: (req, res, url) => service.rpc?.(req, res, url) === true } : {}),
    });
  } catch (err: unknown) {
    service.stop(`rpc.sock failed: ${(err as Error).message}`);
    await running;
    dirWatch?.close();
    sidecar.output.close();
    lock.lock.release();
    throw err;
  }
  startMark('rpc-bound');
  lookupTmuxWindow(sidecar);

  try {
    await running;
  } finally {
    dirWatch?.close();
    await rpc.close();
    sidecar.output.close();
    lock.lock.release();
  }
  return 0;
}
