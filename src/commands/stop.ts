// `devport stop <svc…>`: those services out of the running stack (their
// sidecars and children, dependents of them first); the rest runs on.
// `devport start` (or `up`) brings them back.

import { DEFAULTS } from '../spec/defaults.js';
import { downStack } from '../stack/down.js';
import { parseDurationFlag, stateDirOf } from './common.js';
import { stopReporter } from './stop-report.js';
import { resolveServices } from './services.js';

export async function stop(opts: { services: string[]; file?: string; json?: boolean; timeout?: string }): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? DEFAULTS.downTimeoutMs : parseDurationFlag('--timeout', opts.timeout);
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const keys = resolveServices(stateDir, opts.services);
  const t0 = Date.now();
  const { logger, onStopped, onUntrusted } = stopReporter(opts.json);
  const stopped = await downStack({ stateDir, timeoutMs, keys, onStopped, onUntrusted });
  if (logger) logger.log({ event: 'shutdown', reason: 'stop', stopped: stopped.map((s) => s.key), duration_ms: Date.now() - t0 });
  else if (stopped.length === 0) process.stdout.write(`devport stop: not running: ${keys.join(', ')}\n`);
  return 0;
}
