// A service's `build`: its own process group (so a cancelled build is killed
// whole, and never the serving child, which carries the same env marker), its
// output to output.log and the pane, the last lines kept for the state record.

import type { ChildProcess } from 'node:child_process';
import { GenerationTracker } from '../sys/kill.js';
import { childProcess } from '../util/builtin.js';

export interface BuildResult {
  ok: boolean;
  exitCode: number | null;
  /** In words: "exited 2", "command not found: go", "cancelled". */
  detail: string;
  /** The last lines of its output. */
  tail: string;
  durationMs: number;
  cancelled: boolean;
}

export interface RunningBuild {
  readonly done: Promise<BuildResult>;
  /** Kills the build's group (SIGTERM, then SIGKILL); `done` resolves with cancelled = true. */
  cancel(): void;
}

const TAIL_LINES = 20;

export function startBuild(opts: { argv: string[]; cwd: string; env: Record<string, string>; onOutput: (d: Buffer) => void }): RunningBuild {
  const t0 = Date.now();
  let tail = '';
  const keep = (d: Buffer) => {
    opts.onOutput(d);
    tail = (tail + d.toString('utf8')).slice(-8192);
  };
  const lastLines = () => tail.replace(/\r/g, '').trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
  let cancelled = false;
  let child: ChildProcess | undefined;
  const [file, ...args] = opts.argv;
  const done = (async (): Promise<BuildResult> => {
    if (!file) return { ok: false, exitCode: null, detail: 'empty build command', tail: '', durationMs: 0, cancelled: false };
    // Loaded on first use: most sidecars never build (child_process costs ~6 ms to load).
    const { spawn } = childProcess();
    return new Promise((resolve) => {
      const finish = (r: Omit<BuildResult, 'tail' | 'durationMs' | 'cancelled'>) => resolve({ ...r, tail: lastLines(), durationMs: Date.now() - t0, cancelled });
      if (cancelled) return finish({ ok: false, exitCode: null, detail: 'cancelled' });
      const p = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child = p;
      p.stdout?.on('data', keep);
      p.stderr?.on('data', keep);
      p.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, exitCode: 127, detail: e.code === 'ENOENT' ? `command not found: ${file}` : e.message }));
      p.once('close', (code, sig) => finish({ ok: code === 0 && !cancelled, exitCode: code, detail: cancelled ? 'cancelled' : sig ? `killed by ${sig}` : `exited ${code}` }));
    });
  })();
  return {
    done,
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      const pid = child?.pid;
      if (pid === undefined) return;
      // The build's group and what it started (a compiler's workers), never the marker: the serving child has it too.
      const tracker = new GenerationTracker({ pid, pgid: pid, marker: [] });
      tracker.signal('SIGTERM');
      const t = setTimeout(() => void tracker.kill(), 1000);
      void done.then(() => {
        clearTimeout(t);
        void tracker.kill(1000);
      });
    },
  };
}
