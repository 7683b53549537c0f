// `devport start <svc…>`: those services into the running stack (with what
// they depend on that is not running), or back after their sidecar died.

import { startServices } from '../stack/start-services.js';
import { parseDurationFlag, stateDirOf } from './common.js';

export async function start(opts: { services: string[]; file?: string; json?: boolean; tmux?: boolean; waitTimeout?: string }): Promise<number> {
  const waitTimeoutMs = opts.waitTimeout === undefined ? undefined : parseDurationFlag('--wait-timeout', opts.waitTimeout);
  const { specFile, stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  // commander's --no-tmux gives tmux: false, and true when absent: only an explicit --no-tmux counts.
  const tmux = opts.tmux === false ? false : undefined;
  return startServices({ specFile, stateDir, names: opts.services, json: opts.json === true, tmux, waitTimeoutMs });
}
