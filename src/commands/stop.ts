// `devport stop <svc…>`: those services out of the running stack (their
// sidecars and children, dependents of them first); the rest runs on.
// `devport start` (or `up`) brings them back.

import { JsonLogger } from '../events/json-logger.js';
import { DEFAULTS } from '../spec/defaults.js';
import { downStack } from '../stack/down.js';
import { colorEnabled, palette } from '../util/color.js';
import { parseDurationFlag, stateDirOf } from './common.js';
import { resolveServices } from './services.js';

export async function stop(opts: { services: string[]; file?: string; json?: boolean; timeout?: string }): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? DEFAULTS.downTimeoutMs : parseDurationFlag('--timeout', opts.timeout);
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const keys = resolveServices(stateDir, opts.services);
  const t0 = Date.now();
  const c = palette(!opts.json && colorEnabled(process.stdout));
  const logger = opts.json ? new JsonLogger() : undefined;
  const stopped = await downStack({
    stateDir,
    timeoutMs,
    keys,
    onStopped: (s) => {
      if (logger) logger.log({ event: 'stopped', service: s.key, how: s.how });
      else process.stdout.write(`${c.dim('■')} ${c.bold(s.key)} ${c.dim(s.how)}\n`);
    },
    onUntrusted: (u) => {
      if (logger) logger.log({ event: 'untrusted', service: u.key, problem: u.problem });
      else process.stderr.write(`${c.yellow('warning')}: ${c.bold(u.key)}: ${u.problem}\n`);
    },
  });
  if (logger) logger.log({ event: 'shutdown', reason: 'stop', stopped: stopped.map((s) => s.key), duration_ms: Date.now() - t0 });
  else if (stopped.length === 0) process.stdout.write(`devport stop: not running: ${keys.join(', ')}\n`);
  return 0;
}
