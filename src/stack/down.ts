// Stopping a stack: SIGTERM the live sidecars in reverse dependency order,
// SIGKILL stragglers after a timeout, reap what dead sidecars left, close what
// is left in tmux. Idempotent. Nothing read from disk is trusted: a sidecar is
// signalled only once its pid proves to be this project's sidecar for that key,
// a child only once it proves to be the service's (sys/trust.ts); what cannot
// be verified is reported, not signalled.

import path from 'node:path';
import { dependencyWaves } from '../plan/waves.js';
import { TMUX_FILE, type TmuxRecord } from '../state/dirs.js';
import { inventory, readEntry, type Entry } from '../state/inventory.js';
import { isLocked, lockedDirs, lockHolder } from '../state/lock.js';
import { readRegularFile } from '../util/read-file.js';
import { GenerationTracker, safeKill, sleep } from '../sys/kill.js';
import { isRunning, readStat, ticksAt, type Generation } from '../sys/procfs.js';
import { isLockHelperOf, isSidecarOf, verifyChild } from '../sys/trust.js';
import { serviceMarker } from '../state/marker.js';
import { startMark } from '../util/start-trace.js';

export interface Stopped {
  key: string;
  /** In words: "stopped by SIGTERM in 12 ms", "killed (supervisor did not stop in 10000 ms)", "reaped 2 orphaned processes". */
  how: string;
}

/** An entry devport would not act on: a symlinked dir, a forged state.json, a lock held by a process it cannot verify. */
export interface Untrusted {
  key: string;
  problem: string;
}

export interface DownOptions {
  stateDir: string;
  /** Time allowed for sidecars to stop before they are killed. */
  timeoutMs: number;
  /** Only these keys (default: every state dir). */
  keys?: readonly string[];
  /**
   * Only what this `up` started (a failed or interrupted up cleaning up): live
   * sidecars of another run are left alone, whatever happens.
   */
  runId?: string;
  /** Aborting skips the grace: everything is SIGKILLed at once. */
  force?: AbortSignal;
  onStopped?: (s: Stopped) => void;
  onUntrusted?: (u: Untrusted) => void;
}

/** The sidecar process to signal for a live entry: the recorded pid if it proves to be the sidecar, else the lock's holder if it does. */
function sidecarPid(e: Entry, stateDir: string): number | undefined {
  const rec = e.state?.supervisor;
  if (rec && isSidecarOf(rec.pid, e.key, stateDir, rec.pid_start)) return rec.pid;
  const holder = lockHolder(e.dir);
  if (isSidecarOf(holder, e.key, stateDir)) return holder;
  // The fallback lock is held by a `flock` helper whose parent is the sidecar.
  if (isLockHelperOf(holder, e.dir)) {
    const parent = readStat(holder)?.ppid;
    if (isSidecarOf(parent, e.key, stateDir)) return parent;
  }
  return undefined;
}

/** Whether this `up` (runId) may act on the entry: its own sidecars, and live ones that have not written a state yet. */
function ofRun(e: Entry, runId: string | undefined): boolean {
  if (runId === undefined) return true;
  if (e.state) return e.state.supervisor.run_id === runId;
  return e.alive;
}

interface Live {
  entry: Entry;
  pid: number;
}

/** Stops the sidecars of one wave; returns those that did not stop in time. */
async function stopWave(list: readonly Live[], deadline: number, force: AbortSignal | undefined): Promise<Live[]> {
  for (const l of list) safeKill(l.pid, force?.aborted ? 'SIGKILL' : 'SIGTERM');
  // Stopped means the lock is released *and* the sidecar process is gone: it releases its
  // lock a moment before it exits, and `down` promises that nothing of the stack is left.
  const stillThere = (ls: readonly Live[]) => {
    const locked = lockedDirs(ls.map((l) => l.entry.dir));
    return ls.filter((l) => locked.has(l.entry.dir) || isRunning(l.pid));
  };
  let pending = stillThere(list);
  let forced = force?.aborted === true;
  while (pending.length > 0 && Date.now() < deadline) {
    if (force?.aborted && !forced) {
      forced = true;
      for (const l of pending) safeKill(l.pid, 'SIGKILL');
    }
    await sleep(5);
    pending = stillThere(pending);
  }
  return pending;
}

export async function downStack(opts: DownOptions): Promise<Stopped[]> {
  startMark('down-start');
  const projectDir = path.dirname(opts.stateDir);
  const all = inventory(opts.stateDir).filter((e) => (!opts.keys || opts.keys.includes(e.key)) && ofRun(e, opts.runId));
  const stopped: Stopped[] = [];
  const report = (s: Stopped) => {
    stopped.push(s);
    opts.onStopped?.(s);
  };
  for (const e of all) if (e.problem !== undefined) opts.onUntrusted?.({ key: e.key, problem: e.problem });

  const live: Live[] = [];
  for (const e of all.filter((x) => x.alive)) {
    const pid = sidecarPid(e, opts.stateDir);
    if (pid !== undefined) live.push({ entry: e, pid });
    else opts.onUntrusted?.({ key: e.key, problem: `.devport/${e.key} is locked by a process devport cannot verify as its sidecar${e.state ? ` (state.json says pid ${e.state.supervisor.pid})` : ''}: not signalled` });
  }
  const deadline = Date.now() + opts.timeoutMs;
  startMark('down-verified');

  // Dependents first: reverse of the start waves recorded by each sidecar.
  const waves = dependencyWaves(live.map((l) => ({ key: l.entry.key, dependsOn: (l.entry.state?.supervisor.depends_on ?? []).map((k) => ({ key: k })) }))).reverse();
  const stragglers: Live[] = [];
  for (const wave of waves) {
    const list = live.filter((l) => wave.includes(l.entry.key));
    const left = await stopWave(list, deadline, opts.force);
    stragglers.push(...left);
    for (const l of list.filter((x) => !left.includes(x))) {
      const after = readEntry(opts.stateDir, l.entry.key);
      report({ key: l.entry.key, how: after.state?.state.state === 'stopped' ? (after.state.state.reason ?? 'stopped') : 'stopped' });
    }
  }
  for (const l of stragglers) {
    safeKill(l.pid, 'SIGKILL');
    // With the fallback lock, the flock helper holding it too.
    const holder = lockHolder(l.entry.dir);
    if (isLockHelperOf(holder, l.entry.dir)) safeKill(holder, 'SIGKILL');
  }
  startMark('down-sidecars-gone');
  const killDeadline = Date.now() + 2000;
  while (stragglers.some((l) => isLocked(l.entry.dir) || isRunning(l.pid)) && Date.now() < killDeadline) await sleep(5);

  // Whatever a dead (or just killed) sidecar left: its recorded child once it proves to be the
  // service's, and anything carrying the service's marker. A sidecar that stopped cleanly has
  // already made sure of that for its own service.
  const stragglerKeys = new Set(stragglers.map((l) => l.entry.key));
  for (const e of all) {
    const st = readEntry(opts.stateDir, e.key).state;
    const wasLive = live.some((l) => l.entry.key === e.key);
    if (wasLive && !stragglerKeys.has(e.key) && st?.state.state === 'stopped') continue;
    if (!e.alive && st?.state.state === 'stopped') continue;
    if (e.alive && !wasLive) continue; // a live sidecar devport cannot verify: reported above, left alone
    const marker = serviceMarker(projectDir, e.key);
    const child = st ? verifyChild(st.state, marker) : undefined;
    const started = st ? Date.parse(st.supervisor.started_at) : NaN;
    const gen: Generation = { pid: child?.pid ?? null, pgid: child?.pgid ?? null, marker, notBefore: Number.isFinite(started) ? ticksAt(started) : null };
    const tracker = new GenerationTracker(gen);
    const found = tracker.scan();
    if (found.length > 0) await tracker.kill();
    if (stragglerKeys.has(e.key)) report({ key: e.key, how: `killed: its supervisor did not stop within ${opts.timeoutMs} ms${found.length ? ` (and ${found.length} child process(es))` : ''}` });
    else if (found.length > 0) report({ key: e.key, how: `reaped ${found.length} orphaned process(es) of a dead supervisor` });
  }

  startMark('down-reaped');
  await closeTmux(opts.stateDir, projectDir, all);
  startMark('down-tmux-closed');
  return stopped;
}

function readTmuxRecord(stateDir: string): TmuxRecord | undefined {
  const r = readRegularFile(path.join(stateDir, TMUX_FILE), { maxBytes: 64 * 1024, noFollow: true });
  if (!r.ok) return undefined;
  try {
    const v = JSON.parse(r.text) as Partial<TmuxRecord>;
    return typeof v.session === 'string' && typeof v.socket === 'string' ? { session: v.session, socket: v.socket, created: v.created === true } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Windows close when their sidecar exits; kill any that stayed (remain-on-exit),
 * and the session devport made once it is empty. A window is only touched when
 * devport's tag on it names this project and key (pane ids restart with the tmux
 * server, and another project may use a session of the same name).
 */
async function closeTmux(stateDir: string, projectDir: string, entries: readonly Entry[]): Promise<void> {
  const rec = readTmuxRecord(stateDir);
  if (!rec || !entries.some((e) => e.state?.supervisor.tmux)) return;
  const { tmux, WINDOW_TAG, windowTag } = await import('./tmux.js');
  const sock = rec.socket ? ['-S', rec.socket] : [];
  const ours = new Set(entries.map((e) => windowTag(e.key, projectDir)));
  const panes = tmux([...sock, 'list-windows', '-t', `=${rec.session}`, '-F', `#{window_id}\t#{${WINDOW_TAG}}`]);
  if (panes.code !== 0) return; // the session is gone: tmux removed it with its last window
  for (const line of panes.stdout.trim().split('\n')) {
    const [window = '', tag = ''] = line.split('\t');
    if (window && ours.has(tag)) tmux([...sock, 'kill-window', '-t', window]);
  }
  if (rec.created) {
    const r = tmux([...sock, 'list-windows', '-t', `=${rec.session}`, '-F', '#{window_id}']);
    if (r.code === 0 && r.stdout.trim() === '') tmux([...sock, 'kill-session', '-t', `=${rec.session}`]);
  }
}
