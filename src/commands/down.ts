// `devport down [spec]`: stop everything of the stack; idempotent.

import { DEFAULTS } from '../spec/defaults.js';
import { downStack } from '../stack/down.js';
import { parseDurationFlag, stateDirOf } from './common.js';
import { stopReporter } from './stop-report.js';

export interface DownCommandOptions {
  file?: string;
  spec?: string;
  json?: boolean;
  timeout?: string;
  /** Also remove the compose projects' containers, networks and volumes. */
  volumes?: boolean;
}

export async function down(opts: DownCommandOptions): Promise<number> {
  const { stateDir } = stateDirOf({ file: opts.file, spec: opts.spec, cwd: process.cwd() });
  const timeoutMs = opts.timeout === undefined ? DEFAULTS.downTimeoutMs : parseDurationFlag('--timeout', opts.timeout);
  const t0 = Date.now();
  const { logger, c, onStopped, onUntrusted } = stopReporter(opts.json);
  const stopped = await downStack({ stateDir, timeoutMs, onStopped, onUntrusted });
  // Compose: what a SIGKILLed sidecar left running is stopped; --volumes removes the rest.
  // Only when a compose node ever ran here (its compose.json): a stack without one never calls docker.
  const { recordedProjects, sweepCompose } = await import('../compose/teardown.js');
  if (recordedProjects(stateDir).length > 0) {
    const swept = await sweepCompose(stateDir, process.env as Record<string, string>, { volumes: opts.volumes === true });
    for (const s of swept) {
      const r = s.removed;
      const did = [
        s.stopped > 0 ? `stopped ${s.stopped} container${s.stopped === 1 ? '' : 's'} left running` : '',
        r.containers + r.volumes + r.networks > 0 ? `removed ${r.containers} container(s), ${r.volumes} volume(s), ${r.networks} network(s)` : '',
      ].filter((x) => x !== '');
      if (did.length > 0) {
        if (logger) logger.log({ event: 'stopped', service: `compose:${s.project}`, how: did.join('; ') });
        else process.stdout.write(`${c.dim('■')} ${c.bold(s.project)} ${c.dim(did.join('; '))}\n`);
      }
      for (const problem of s.problems) {
        if (logger) logger.log({ event: 'info', message: `warning: compose project ${s.project}: ${problem}` });
        else process.stderr.write(`${c.yellow('warning')}: ${c.bold(s.project)}: ${problem}\n`);
      }
    }
  }
  if (logger) logger.log({ event: 'shutdown', reason: 'down', stopped: stopped.map((s) => s.key), duration_ms: Date.now() - t0 });
  else if (stopped.length === 0) process.stdout.write('devport down: nothing running\n');
  else process.stdout.write(`devport down: stopped ${stopped.length} service${stopped.length === 1 ? '' : 's'} in ${Date.now() - t0} ms\n`);
  return 0;
}
