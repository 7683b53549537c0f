// `devport ls [svc…]`: one JSON object per state dir and line. Cheap by design:
// agents call it in loops; it loads no pty, proxy or tmux code and takes no lock.
// A state dir or state.json devport cannot trust has `problem` saying why.

import path from 'node:path';
import { inventory } from '../state/inventory.js';
import { stateDirOf } from './common.js';
import { namesByKey, resolveServices } from './services.js';

export function ls(opts: { file?: string; services?: readonly string[] }): number {
  const cwd = process.cwd();
  const { stateDir } = stateDirOf({ file: opts.file, cwd });
  const only = opts.services && opts.services.length > 0 ? new Set(resolveServices(stateDir, opts.services)) : undefined;
  const names = namesByKey(stateDir);
  let out = '';
  for (const e of inventory(stateDir)) {
    if (only && !only.has(e.key)) continue;
    const dir = path.relative(cwd, e.dir) || '.';
    out += JSON.stringify({ dir, key: e.key, name: names.get(e.key) ?? e.key, alive: e.alive, supervisor: e.state?.supervisor ?? null, state: e.state?.state ?? null, problem: e.problem ?? null }) + '\n';
  }
  process.stdout.write(out);
  return 0;
}
