// The shell every sidecar shares: it owns .devport/<key>/ (lock, state.json,
// output.log, rpc.sock), answers signals, and runs one Service inside.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { readJson, writeFileAtomic } from '../state/atomic.js';
import { ensureStateDir, OUTPUT_LOG, STATE_FILE } from '../state/dirs.js';
import { acquireLock, type HeldLock } from '../state/lock.js';
import type { ServiceRecord, StateFile, SupervisorRecord } from '../state/types.js';
import { generationProcesses, isSameProcess, readStat, ticksAt, type Generation } from '../sys/procfs.js';
import { killGeneration } from '../sys/kill.js';
import { VERSION } from '../version.js';
import { OutputLog } from './output-log.js';
import { startRpcServer } from './rpc-server.js';

/** What runs inside a sidecar: a supervised process, or a proxy's router. */
export interface Service {
  /** Runs until stopped; resolves when the service is fully stopped. */
  run(): Promise<void>;
  /** A new generation, same port. */
  restart(): { accepted: boolean; message: string };
  /** First call: graceful. A second call skips what is left of the grace period. */
  stop(reason: string): void;
}

/** The env entries every process of a service carries: how escaped descendants are found. */
export function serviceMarker(plan: Plan, node: PlanNode): string[] {
  return [`DEVPORT_KEY=${node.key}`, `DEVPORT_PROJECT_DIR=${plan.projectDir}`];
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
  readonly #subscribers = new Set<(s: StateFile) => void>();

  constructor(
    readonly plan: Plan,
    readonly node: PlanNode,
    readonly lockKind: HeldLock['kind'],
  ) {
    this.dir = path.join(plan.stateDir, node.key);
    this.output = new OutputLog(path.join(this.dir, OUTPUT_LOG));
    this.marker = serviceMarker(plan, node);
    const now = new Date().toISOString();
    const supervisor: SupervisorRecord = {
      key: node.key,
      pid: process.pid,
      started_at: now,
      version: VERSION,
      spec: plan.spec,
      run_id: plan.runId,
      tmux: process.env.TMUX && process.env.TMUX_PANE ? { session: plan.tmuxSession, window: '', pane: process.env.TMUX_PANE } : null,
      depends_on: node.dependsOn.map((d) => d.key),
      lock: lockKind,
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
    };
    this.#record = { supervisor, state };
  }

  get record(): StateFile {
    return this.#record;
  }

  /** Merges `patch` into the state; writes state.json and notifies subscribers when something changed. */
  update(patch: Partial<ServiceRecord>, supervisor: Partial<SupervisorRecord> = {}): void {
    const state = { ...this.#record.state, ...patch };
    if (patch.state !== undefined && patch.state !== this.#record.state.state && patch.since === undefined) state.since = new Date().toISOString();
    this.#record = { supervisor: { ...this.#record.supervisor, ...supervisor }, state };
    // A probe that only refreshed checked_at is not a change worth a write.
    const comparable = JSON.stringify({ ...this.#record, state: { ...state, health: state.health ? { ...state.health, checked_at: '' } : null } });
    if (comparable === this.#written) return;
    this.#written = comparable;
    writeFileAtomic(path.join(this.dir, STATE_FILE), JSON.stringify(this.#record, null, 2) + '\n');
    for (const fn of this.#subscribers) fn(this.#record);
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

/** Kills what a SIGKILLed predecessor left: its recorded child group (if that pid is still ours) and anything with the marker. */
async function reapOrphans(dir: string, marker: string[], say: (m: string) => void): Promise<void> {
  const prev = readJson<StateFile>(path.join(dir, STATE_FILE));
  // A predecessor that stopped cleanly made sure nothing of it was left.
  if (!prev || prev.state.state === 'stopped') return;
  const pid = prev.state.pid;
  const same = pid !== null && isSameProcess(pid, prev.state.pid_start);
  const gen: Generation = { pid: same ? pid : null, pgid: same ? prev.state.pgid : null, marker, notBefore: ticksAt(Date.parse(prev.supervisor.started_at)) };
  const found = generationProcesses(gen);
  if (found.length === 0) return;
  say(`reaping ${found.length} process(es) left by a previous sidecar: ${found.join(', ')}`);
  await killGeneration(gen);
}

/** The pane is known from the environment; the window id costs a tmux round trip, so it comes later, off the start-up path. */
function lookupTmuxWindow(sidecar: Sidecar): void {
  const pane = process.env.TMUX_PANE;
  if (!pane || !process.env.TMUX) return;
  setTimeout(() => {
    void import('node:child_process').then(({ execFile }) =>
      execFile('tmux', ['display-message', '-p', '-t', pane, '#{session_name}\t#{window_id}'], (err, out) => {
        if (err) return;
        const [session = '', window = ''] = out.trim().split('\t');
        sidecar.update({}, { tmux: { session, window, pane } });
      }),
    );
  }, 1500).unref();
}

export async function runSidecar(plan: Plan, key: string, makeService: (s: Sidecar) => Promise<Service>): Promise<number> {
  const node = plan.nodes.find((n) => n.key === key);
  if (!node) {
    throw new UserError([failure('SERVICE_UNKNOWN', `no service "${key}" in the plan`, { hint: `the services are: ${plan.nodes.map((n) => n.key).join(', ')}` })]);
  }
  ensureStateDir(plan.stateDir);
  const dir = path.join(plan.stateDir, key);
  mkdirSync(dir, { recursive: true });
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

  const sidecar = new Sidecar(plan, node, lock.lock.kind);
  await reapOrphans(dir, sidecar.marker, (m) => sidecar.say(m));
  sidecar.update({ state: 'pending' });
  const service = await makeService(sidecar);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => service.stop(`${sig} received`));
  // The child first (run() spawns it before its first await), the control socket right after.
  const running = service.run();
  let rpc: { close(): Promise<void> };
  try {
    rpc = await startRpcServer(dir, {
      state: () => sidecar.record,
      subscribe: (fn) => sidecar.subscribe(fn),
      logFile: sidecar.output.file,
      restart: () => service.restart(),
      stop: () => service.stop('stop requested over rpc.sock'),
    });
  } catch (err: unknown) {
    service.stop(`rpc.sock failed: ${(err as Error).message}`);
    await running;
    sidecar.output.close();
    lock.lock.release();
    throw err;
  }
  lookupTmuxWindow(sidecar);

  try {
    await running;
  } finally {
    await rpc.close();
    sidecar.output.close();
    lock.lock.release();
  }
  return 0;
}
