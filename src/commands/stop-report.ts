// What `down` and `stop` print while sidecars stop: a line (or a `stopped`
// event) per service, and trust problems — reported, never acted on — on
// stderr, so a script reading stdout sees only what was stopped.

import { JsonLogger } from '../events/json-logger.js';
import type { DownOptions } from '../stack/down.js';
import { colorEnabled, palette } from '../util/color.js';

export function stopReporter(json: boolean | undefined): { logger: JsonLogger | undefined; c: ReturnType<typeof palette> } & Required<Pick<DownOptions, 'onStopped' | 'onUntrusted'>> {
  const c = palette(!json && colorEnabled(process.stdout));
  const logger = json ? new JsonLogger() : undefined;
  return {
    logger,
    c,
    onStopped: (s) => {
      if (logger) logger.log({ event: 'stopped', service: s.key, how: s.how });
      else process.stdout.write(`${c.dim('■')} ${c.bold(s.key)} ${c.dim(s.how)}\n`);
    },
    onUntrusted: (u) => {
      if (logger) logger.log({ event: 'untrusted', service: u.key, problem: u.problem });
      else process.stderr.write(`${c.yellow('warning')}: ${c.bold(u.key)}: ${u.problem}\n`);
    },
  };
}
