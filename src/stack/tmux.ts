// tmux is the terminal, not the supervisor: one window per sidecar, targeted
// by id (names can repeat), options scoped to the window, never -g.

import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface TmuxResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tmux(args: string[], timeoutMs = 5000): TmuxResult {
  const r = spawnSync('tmux', args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) return { code: null, stdout: '', stderr: r.error.message };
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let available: boolean | undefined;

/** tmux on PATH (a lookup, not a `tmux -V` process: up runs this every time). */
export function tmuxAvailable(): boolean {
  available ??= (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir || '.', 'tmux'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return available;
}

export interface WindowSpec {
  name: string;
  /** What the window is tagged with (see WINDOW_TAG). */
  tag: string;
  cwd: string;
  env: Record<string, string>;
  argv: string[];
}

export interface CreatedWindow {
  window: string;
  pane: string;
}

/**
 * Creates one window per spec in one tmux call (a client process per window
 * costs more than the windows). Creates the session with the first window when
 * it does not exist, so there is no stray shell window.
 */
export function createWindows(session: string, specs: readonly WindowSpec[]): { ok: true; windows: CreatedWindow[]; createdSession: boolean } | { ok: false; detail: string } {
  if (specs.length === 0) return { ok: true, windows: [], createdSession: false };
  const batch = (createSession: boolean): string[] => {
    const args: string[] = [];
    specs.forEach((s, i) => {
      if (i > 0) args.push(';');
      const env = Object.entries(s.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      if (i === 0 && createSession) args.push('new-session', '-d', '-s', session, '-x', '200', '-y', '50');
      else args.push('new-window', '-d', '-t', `=${session}:`);
      args.push('-n', s.name, '-P', '-F', '#{window_id} #{pane_id}', ...env, '-c', s.cwd, '--', ...s.argv);
    });
    return args;
  };
  // One tmux call in the common case: create the session with the first window. tmux stops a
  // command sequence at its first error, so if the session exists nothing was made: add windows.
  let createdSession = true;
  let r = tmux(batch(true), 15_000);
  if (r.code !== 0 && /duplicate session/.test(r.stderr)) {
    createdSession = false;
    r = tmux(batch(false), 15_000);
  }
  if (r.code !== 0) return { ok: false, detail: (r.stderr || r.stdout).trim() || `tmux exited ${r.code}` };
  const windows = r.stdout
    .trim()
    .split('\n')
    .map((l) => {
      const [window = '', pane = ''] = l.trim().split(' ');
      return { window, pane };
    });
  tagWindows(windows.flatMap((w, i) => (w.window && specs[i] ? [{ window: w.window, tag: specs[i].tag }] : [])));
  return { ok: true, windows, createdSession };
}

/** A window option devport sets on each window it creates: `<key> <project dir>`. down and attach act on a window only when it matches. */
export const WINDOW_TAG = '@devport';

export function windowTag(key: string, projectDir: string): string {
  return `${key} ${projectDir}`;
}

/** Tags the windows just created (one tmux call): pane ids restart with a server, a tag names this project and key. */
export function tagWindows(windows: readonly { window: string; tag: string }[], sock: readonly string[] = []): void {
  if (windows.length === 0) return;
  const args: string[] = [...sock];
  windows.forEach((w, i) => {
    if (i > 0) args.push(';');
    args.push('set-option', '-w', '-t', w.window, WINDOW_TAG, w.tag);
  });
  tmux(args);
}
