// node-pty: every service's child runs in a pseudo-terminal it opens. Loading
// is not enough (a prebuilt whose spawn helper cannot run loads fine), so a
// child is started in a pty and must exit 0.

import { fail, ok, type Check } from './check.js';
import { labelOf, loadAddon } from './addon.js';

/** The little of node-pty's API this check uses (as src/supervisor/child.ts does). */
interface IPty {
  kill(signal?: string): void;
  onExit(fn: (e: { exitCode: number; signal?: number }) => void): void;
}
interface PtyModule {
  spawn(file: string, args: string[], opts: { cols: number; rows: number; cwd: string; env: Record<string, string> }): IPty;
}

const HINT = 'reinstall devport so @lydell/node-pty gets its prebuilt binary for this platform (npm i -g devport, or npm ci in a clone)';

function runInPty(pty: PtyModule, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let child: IPty;
    try {
      child = pty.spawn(process.execPath, ['-e', '0'], { cols: 80, rows: 24, cwd: '/', env: {} });
    } catch (err: unknown) {
      resolve(`cannot start a child in a pty: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(`a child in a pty did not exit within ${timeoutMs} ms`);
    }, timeoutMs);
    child.onExit(({ exitCode, signal }) => {
      clearTimeout(timer);
      resolve(exitCode === 0 ? undefined : `a child in a pty exited ${exitCode}${signal ? ` (signal ${signal})` : ''}`);
    });
  });
}

export async function checkPty(timeoutMs = 5000): Promise<Check> {
  const loaded = loadAddon<PtyModule>('@lydell/node-pty');
  if (!loaded.ok) return fail('node-pty', `@lydell/node-pty does not load: ${loaded.reason}; no service can start`, HINT);
  const problem = await runInPty(loaded.module, timeoutMs);
  const label = labelOf('@lydell/node-pty', loaded.version);
  if (problem) return fail('node-pty', `${label} loads, but ${problem}`, HINT);
  return ok('node-pty', `${label} runs a child in a pty (${loaded.where})`);
}
