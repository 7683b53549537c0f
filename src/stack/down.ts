// Stopping a stack: SIGTERM the live sidecars in reverse dependency order,
// SIGKILL stragglers after a timeout, reap recorded orphan child groups of
// dead sidecars (pid reuse guarded), close what is left in tmux. Idempotent.

import path from 'node:path';
import { dependencyWaves } from '../plan/waves.js';
import { readJson } from '../state/atomic.js';
import { TMUX_FILE, type TmuxRecord } from '../state/dirs.js';
import { inventory, readEntry, type Entry } from '../state/inventory.js';
import { isLocked, lockedDirs, lockHolder } from '../state/lock.js';
import { generationProcesses, isRunning, isSameProcess, ticksAt } from '../sys/procfs.js';
import { killGeneration, sleep } from '../sys/kill.js';

export interface Stopped {
  key: string;
  /** In words: "stopped by SIGTERM in 12 ms", "killed (supervisor did not stop in 10000 ms)", "reaped 2 orphaned processes". */
  how: string;
}

export interface DownOptions {
  stateDir: string;
  /** Time allowed for sidecars to stop before they are killed. */
  timeoutMs: number;
  /** Only these keys (default: every state dir). */
  keys?: readonly string[];
  /** Aborting skips the grace: everything is SIGKILLed at once. */
  force?: AbortSignal;
  onStopped?: (s: Stopped) => void;
}

function send(pid: number | null | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** Stops the sidecars of one wave; returns the keys that did not stop in time. */
async function stopWave(entries: readonly Entry[], deadline: number, force: AbortSignal | undefined): Promise<Entry[]> {
  for (const e of entries) send(e.state?.supervisor.pid, force?.aborted ? 'SIGKILL' : 'SIGTERM');
  // Stopped means the lock is released *and* the sidecar process is gone: it releases its
  // lock a moment before it exits, and `down` promises that nothing of the stack is left.
  const stillLocked = (list: readonly Entry[]) => {
    const live = lockedDirs(list.map((e) => e.dir));
    return list.filter((e) => live.has(e.dir) || (e.state?.supervisor.pid !== undefined && isRunning(e.state.supervisor.pid)));
  };
  let pending = stillLocked(entries);
  let forced = force?.aborted === true;
  while (pending.length > 0 && Date.now() < deadline) {
    if (force?.aborted && !forced) {
      forced = true;
      for (const e of pending) send(e.state?.supervisor.pid, 'SIGKILL');
    }
    await sleep(5);
    pending = stillLocked(pending);
  }
  return pending;
}

export async function downStack(opts: DownOptions): Promise<Stopped[]> {
  const projectDir = path.dirname(opts.stateDir);
  const all = inventory(opts.stateDir).filter((e) => !opts.keys || opts.keys.includes(e.key));
  const stopped: Stopped[] = [];
  const report = (s: Stopped) => {
    stopped.push(s);
    opts.onStopped?.(s);
  };
  const live = all.filter((e) => e.alive);
  const deadline = Date.now() + opts.timeoutMs;

  // Dependents first: reverse of the start waves recorded by each sidecar.
  const waves = dependencyWaves(live.map((e) => ({ key: e.key, dependsOn: (e.state?.supervisor.depends_on ?? []).map((k) => ({ key: k })) }))).reverse();
  const stragglers: Entry[] = [];
  for (const wave of waves) {
    const entries = live.filter((e) => wave.includes(e.key));
    const left = await stopWave(entries, deadline, opts.force);
    stragglers.push(...left);
    for (const e of entries.filter((x) => !left.includes(x))) {
      const after = readEntry(opts.stateDir, e.key);
      report({ key: e.key, how: after.state?.state.state === 'stopped' ? (after.state.state.reason ?? 'stopped') : 'stopped' });
    }
  }
  for (const e of stragglers) {
    // The supervisor (and, with the fallback lock, the flock helper holding its lock).
    send(e.state?.supervisor.pid, 'SIGKILL');
    send(lockHolder(e.dir), 'SIGKILL');
  }
  const killDeadline = Date.now() + 2000;
  while (stragglers.some((e) => isLocked(e.dir)) && Date.now() < killDeadline) await sleep(5);

  // Whatever a dead (or just killed) sidecar left: its recorded child group, and anything with its marker.
  // A sidecar that stopped cleanly has already made sure of that for its own service.
  const cleanlyStopped = new Set(live.filter((e) => !stragglers.includes(e) && readEntry(opts.stateDir, e.key).state?.state.state === 'stopped').map((e) => e.key));
  for (const e of all) {
    if (cleanlyStopped.has(e.key)) continue;
    const st = readEntry(opts.stateDir, e.key).state;
    // A dead sidecar whose last word was "stopped" finished its own cleanup.
    if (!e.alive && st?.state.state === 'stopped') continue;
    const s = st?.state;
    const pid = s?.pid ?? null;
    const same = pid !== null && isSameProcess(pid, s?.pid_start ?? null);
    const gen = {
      pid: same ? pid : null,
      pgid: same ? (s?.pgid ?? null) : null,
      marker: [`DEVPORT_KEY=${e.key}`, `DEVPORT_PROJECT_DIR=${projectDir}`],
      notBefore: st ? ticksAt(Date.parse(st.supervisor.started_at)) : null,
    };
    const found = generationProcesses(gen);
    const wasStraggler = stragglers.includes(e);
    if (found.length > 0) await killGeneration(gen);
    if (wasStraggler) report({ key: e.key, how: `killed: its supervisor did not stop within ${opts.timeoutMs} ms${found.length ? ` (and ${found.length} child process(es))` : ''}` });
    else if (found.length > 0) report({ key: e.key, how: `reaped ${found.length} orphaned process(es) of a dead supervisor` });
  }

  await closeTmux(opts.stateDir, all);
  return stopped;
}

/**
 * Windows close when their sidecar exits; kill any that stayed (remain-on-exit),
 * and the session devport made once it is empty. A pane id is only trusted with
 * its session and window name (ids restart with the tmux server).
 */
async function closeTmux(stateDir: string, entries: readonly Entry[]): Promise<void> {
  const rec = readJson<TmuxRecord>(path.join(stateDir, TMUX_FILE));
  const ours = new Map(entries.flatMap((e) => (e.state?.supervisor.tmux ? [[e.state.supervisor.tmux.pane, e.key] as const] : [])));
  if (!rec || ours.size === 0) return;
  const { tmux } = await import('./tmux.js');
  const sock = rec.socket ? ['-S', rec.socket] : [];
  const panes = tmux([...sock, 'list-panes', '-s', '-t', `=${rec.session}`, '-F', '#{pane_id} #{window_name}']);
  if (panes.code !== 0) return; // the session is gone: tmux removed it with its last window
  for (const line of panes.stdout.trim().split('\n')) {
    const [pane = '', name = ''] = line.split(' ');
    if (ours.get(pane) === name) tmux([...sock, 'kill-window', '-t', pane]);
  }
  if (rec.created) {
    const r = tmux([...sock, 'list-windows', '-t', `=${rec.session}`, '-F', '#{window_id}']);
    if (r.code === 0 && r.stdout.trim() === '') tmux([...sock, 'kill-session', '-t', `=${rec.session}`]);
  }
}
