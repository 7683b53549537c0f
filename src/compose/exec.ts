// Running the docker and compose CLIs: one command to completion, with a
// deadline and an abort, output kept (bounded) or streamed.

import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';

export interface RunOutput {
  /** null when it did not exit by itself (spawn error, timeout, abort). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run or finish: "not found", "timed out after 30000 ms", "aborted", an errno code. */
  error: string | null;
}

export interface RunOptions {
  env: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Output as it comes (besides being kept): compose's progress lines for the pane. */
  onOutput?: (d: Buffer) => void;
  /** Characters of stdout kept (the tail); default 1 MiB. */
  keep?: number;
}

export function run(argv: readonly string[], opts: RunOptions): Promise<RunOutput> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (!file) return resolve({ code: null, stdout: '', stderr: '', error: 'no command' });
    const keep = opts.keep ?? 1024 * 1024;
    let stdout = '';
    let stderr = '';
    let error: string | null = null;
    let settled = false;
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          error = `timed out after ${opts.timeoutMs} ms`;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => {
      error ??= 'aborted';
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      stdout = (stdout + d.toString()).slice(-keep);
      opts.onOutput?.(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-64 * 1024);
      opts.onOutput?.(d);
    });
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code: error === null ? code : null, stdout, stderr, error });
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      error = e.code === 'ENOENT' ? 'not found' : (e.code ?? e.message);
      finish(null);
    });
    child.once('close', (code) => finish(code));
    if (opts.signal?.aborted) onAbort();
  });
}

/** The last non-empty line of a command's error output (compose and docker put the reason there). */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

/** `name` looked up on PATH as a shell would: the first executable regular file. */
export function which(name: string, env: Record<string, string | undefined>): string | undefined {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    const p = path.join(dir, name);
    try {
      const st = statSync(p);
      if (st.isFile() && (st.mode & 0o111) !== 0) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
