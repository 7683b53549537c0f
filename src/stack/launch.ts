// Starting the sidecars: one tmux window each, or detached (own session,
// output only in output.log) without tmux. All start at once; each waits for
// its own dependencies in `pending`, so the children start in waves.

import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { failure, type Failure } from '../errors/failure.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { writeFileAtomic } from '../state/atomic.js';
import { sidecarMarker } from '../state/marker.js';
import { ensureServiceDir, ensureStateDir, PLAN_FILE, SIDECAR_LOG, TMUX_FILE, type TmuxRecord } from '../state/dirs.js';
import { createWindows, tmuxAvailable, windowTag } from './tmux.js';

/** Env a sidecar runs with (beyond what tmux or the caller gives it): glibc keeps one malloc arena. */
const SIDECAR_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '1' };

/** Knobs the caller may pass on to sidecars. */
const PASS_THROUGH = ['DEVPORT_LOCK'];

/** The server tmux just talked to: $TMUX's inside tmux, else the default socket (no extra tmux call). */
export function tmuxSocketPath(): string {
  const inside = process.env.TMUX?.split(',')[0];
  if (inside) return inside;
  return path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, 'default');
}

/**
 * The sidecar's command line. From the build, its own entry (sidecar.cjs beside
 * devport.js): it skips the dispatcher and Node's ESM loader. `_supervise --key`
 * stays in argv either way: that is how devport recognises its sidecars in /proc.
 */
export function sidecarArgv(planFile: string, key: string): string[] {
  const main = process.argv[1] ?? 'devport';
  return [process.execPath, ...process.execArgv, ownEntry(main) ?? main, '_supervise', '--key', key, '--plan', planFile];
}

/** sidecar.cjs beside the real devport.js (through npm's bin symlink), if there is one. */
function ownEntry(main: string): string | undefined {
  try {
    const real = realpathSync(main);
    const own = path.join(path.dirname(real), 'sidecar.cjs');
    return path.basename(real) === 'devport.js' && existsSync(own) ? own : undefined;
  } catch {
    return undefined;
  }
}

export function writePlanFile(plan: Plan): string {
  ensureStateDir(plan.stateDir);
  const file = path.join(plan.stateDir, PLAN_FILE);
  // The plan holds every child's environment: readable by its owner only.
  writeFileAtomic(file, JSON.stringify(plan) + '\n', 0o600);
  return file;
}

/** Writes env_out; a path that cannot be written is the spec's mistake, reported before anything starts. */
export function writeEnvOut(plan: Plan): Failure | undefined {
  if (!plan.envOut) return undefined;
  try {
    writeFileSync(plan.envOut.file, `# written by devport up; ports and URLs of the stack\n${plan.envOut.lines.join('\n')}\n`);
    return undefined;
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const why = code === 'ENOENT' ? `its directory ${path.dirname(plan.envOut.file)} does not exist` : code === 'EISDIR' ? 'it is a directory' : `it cannot be written (${code})`;
    return failure('SPEC_INVALID', `env_out "${plan.envOut.file}": ${why}`, {
      hint: 'point env_out at a file in an existing directory (paths are relative to the spec), or remove it',
      ...(plan.envOut.location ? { location: plan.envOut.location } : {}),
    });
  }
}

/** A new run's sidecar.log starts empty: a later failure must not show an earlier run's errors as its own. */
function resetSidecarLog(dir: string): void {
  try {
    closeSync(openSync(path.join(dir, SIDECAR_LOG), constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW));
  } catch {
    /* none yet */
  }
}

export type LaunchResult = { ok: true; tmux: TmuxRecord | null } | { ok: false; failures: Failure[] };

export function launchSidecars(plan: Plan, planFile: string, nodes: readonly PlanNode[], useTmux: boolean): LaunchResult {
  if (useTmux) {
    if (!tmuxAvailable()) {
      return {
        ok: false,
        failures: [failure('TMUX_UNAVAILABLE', 'tmux is not installed (or not on PATH)', { hint: 'install tmux (apt-get install tmux, brew install tmux), or run with --no-tmux' })],
      };
    }
    for (const n of nodes) resetSidecarLog(ensureServiceDir(plan.stateDir, n.key));
    const env: Record<string, string> = { ...SIDECAR_ENV };
    for (const k of PASS_THROUGH) if (process.env[k] !== undefined) env[k] = process.env[k] ?? '';
    const created = createWindows(
      plan.tmuxSession,
      nodes.map((n) => ({ name: n.key, tag: windowTag(n.key, plan.projectDir), cwd: plan.projectDir, env: { ...env, ...sidecarMarker(plan.projectDir, n.key) }, argv: sidecarArgv(planFile, n.key) })),
    );
    if (!created.ok) {
      return { ok: false, failures: [failure('TMUX_UNAVAILABLE', `tmux could not create the windows: ${created.detail}`, { hint: 'check that tmux works (`tmux new-session`), or run with --no-tmux' })] };
    }
    const socket = tmuxSocketPath();
    const record: TmuxRecord = { session: plan.tmuxSession, socket, created: created.createdSession };
    writeFileAtomic(path.join(plan.stateDir, TMUX_FILE), JSON.stringify(record) + '\n');
    return { ok: true, tmux: record };
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ...SIDECAR_ENV };
  for (const k of Object.keys(env)) if (k === 'TMUX' || k === 'TMUX_PANE' || (k.startsWith('DEVPORT_') && k !== 'DEVPORT_LOCK')) delete env[k];
  for (const n of nodes) {
    // stderr goes to a file: a sidecar that dies before it can write state.json still says why.
    const dir = ensureServiceDir(plan.stateDir, n.key);
    // Truncated: a later failure must not show an earlier run's errors as its own.
    const errFd = openSync(path.join(dir, SIDECAR_LOG), constants.O_WRONLY | constants.O_TRUNC | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const [exe = process.execPath, ...args] = sidecarArgv(planFile, n.key);
    const child = spawn(exe, args, { cwd: plan.projectDir, env: { ...env, ...sidecarMarker(plan.projectDir, n.key) }, stdio: ['ignore', 'ignore', errFd], detached: true });
    child.unref();
    closeSync(errFd);
  }
  return { ok: true, tmux: null };
}
