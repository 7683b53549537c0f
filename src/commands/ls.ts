// `devport ls [spec]`: one JSON object per state dir and line. Cheap by design:
// agents call it in loops; it loads no pty, proxy or tmux code and takes no lock.
// A state dir or state.json devport cannot trust has `problem` saying why.

import path from 'node:path';
import { inventory } from '../state/inventory.js';
import { stateDirOf } from './common.js';

export function ls(opts: { file?: string; spec?: string }): number {
  const cwd = process.cwd();
  const { stateDir } = stateDirOf({ file: opts.file, spec: opts.spec, cwd });
  let out = '';
  for (const e of inventory(stateDir)) {
    const dir = path.relative(cwd, e.dir) || '.';
    // What devport cannot trust is listed with why, never skipped (and never shown as alive).
    out += JSON.stringify({ dir, key: e.key, alive: e.alive, supervisor: e.state?.supervisor ?? null, state: e.state?.state ?? null, problem: e.problem ?? null }) + '\n';
  }
  process.stdout.write(out);
  return 0;
}
