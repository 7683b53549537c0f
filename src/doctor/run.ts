// Every check, in CHECK_NAMES order, run at once. A check that throws is a
// bug in it, and becomes a failed check saying so: doctor must still report
// everything else.

import { CHECK_NAMES, fail, type Check, type CheckName } from './check.js';
import { checkCompose } from './compose.js';
import type { DoctorContext } from './context.js';
import { checkDocker } from './docker.js';
import { checkLock } from './lock.js';
import { checkNode } from './node.js';
import { checkPorts } from './ports.js';
import { checkPty } from './pty.js';
import { checkRuntimeDir } from './runtime-dir.js';
import { checkSpec } from './spec.js';
import { checkStateDir } from './state-dir.js';
import { checkTmux } from './tmux.js';
import { checkWatcher } from './watcher.js';

const CHECKS: Record<CheckName, (ctx: DoctorContext) => Check | Promise<Check>> = {
  node: () => checkNode(),
  tmux: checkTmux,
  lock: checkLock,
  'node-pty': () => checkPty(),
  watcher: checkWatcher,
  docker: checkDocker,
  compose: checkCompose,
  spec: checkSpec,
  ports: checkPorts,
  'runtime-dir': checkRuntimeDir,
  'state-dir': checkStateDir,
};

async function safely(name: CheckName, ctx: DoctorContext): Promise<Check> {
  try {
    return await CHECKS[name](ctx);
  } catch (err: unknown) {
    return fail(name, `the check itself failed: ${err instanceof Error ? err.message : String(err)}`, 'this is a bug in devport doctor; please report it with this output');
  }
}

export function runChecks(ctx: DoctorContext): Promise<Check[]> {
  return Promise.all(CHECK_NAMES.map((name) => safely(name, ctx)));
}
