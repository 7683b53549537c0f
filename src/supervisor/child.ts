// The child: spawned in a pty, which makes it a session and process-group
// leader, so the whole group can be signalled at once.

import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { readStat } from '../sys/procfs.js';
import { startMark } from '../util/start-trace.js';
import { signalName, type ExitInfo } from './exit.js';

interface IPty {
  pid: number;
  onData(cb: (d: Buffer) => void): void;
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): void;
  write(d: string | Buffer): void;
  resize(cols: number, rows: number): void;
}
interface PtyModule {
  spawn(file: string, args: string[], opts: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string>; encoding: null }): IPty;
}

export interface ChildHandle {
  pid: number;
  pgid: number;
  /** /proc start time, to recognise this process later (pid reuse). */
  start: number | null;
  spawnedAt: number;
  exited: Promise<ExitInfo>;
  /** Undefined until the child exits. */
  exit: ExitInfo | undefined;
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
}

export type SpawnResult = { ok: true; child: ChildHandle } | { ok: false; reason: string };

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The executable `file` names, as execvp would find it, or undefined. */
export function resolveExecutable(file: string, cwd: string, envPath: string | undefined): string | undefined {
  if (file.includes('/')) {
    const abs = path.resolve(cwd, file);
    return isExecutable(abs) ? abs : undefined;
  }
  for (const dir of (envPath ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir || '.', file);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

let ptyModule: PtyModule | undefined;

export function spawnChild(opts: {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  onData: (d: Buffer) => void;
}): SpawnResult {
  const [file, ...args] = opts.command;
  if (!file) return { ok: false, reason: 'empty command' };
  try {
    if (!statSync(opts.cwd).isDirectory()) return { ok: false, reason: `cwd ${opts.cwd} is not a directory` };
  } catch {
    return { ok: false, reason: `cwd ${opts.cwd} does not exist` };
  }
  const exe = resolveExecutable(file, opts.cwd, opts.env.PATH);
  if (!exe) return { ok: false, reason: `command not found: ${file}` };
  startMark('child-resolved');
  ptyModule ??= createRequire(import.meta.url)('@lydell/node-pty') as PtyModule;
  startMark('node-pty-loaded');
  const env = { TERM: 'xterm-256color', ...opts.env };
  let pty: IPty;
  try {
    pty = ptyModule.spawn(exe, args, { name: env.TERM ?? 'xterm-256color', cols: opts.cols, rows: opts.rows, cwd: opts.cwd, env, encoding: null });
  } catch (err: unknown) {
    return { ok: false, reason: `cannot start ${file}: ${(err as Error).message}` };
  }
  startMark('child-spawned');
  let resolveExit: (e: ExitInfo) => void = () => {};
  const exited = new Promise<ExitInfo>((r) => (resolveExit = r));
  const handle: ChildHandle = {
    pid: pty.pid,
    pgid: pty.pid,
    start: readStat(pty.pid)?.start ?? null,
    spawnedAt: Date.now(),
    exited,
    exit: undefined,
    write: (d) => pty.write(d),
    resize: (c, r) => {
      try {
        pty.resize(c, r);
      } catch {
        /* the pty may be gone */
      }
    },
  };
  pty.onData(opts.onData);
  pty.onExit(({ exitCode, signal }) => {
    const sig = signalName(signal);
    handle.exit = { code: sig ? null : exitCode, signal: sig };
    resolveExit(handle.exit);
  });
  return { ok: true, child: handle };
}
