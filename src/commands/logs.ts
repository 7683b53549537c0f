// `devport logs [svc…] [-f] [-n N]`: from output.log, prefixed and coloured per service.

import path from 'node:path';
import { OUTPUT_LOG } from '../state/dirs.js';
import { stateFileOf } from '../state/read.js';
import { displayLine, Follower, logSize, prefixer } from '../stack/follow.js';
import { tailLines } from '../supervisor/output-log.js';
import { colorEnabled } from '../util/color.js';
import { stateDirOf } from './common.js';
import { resolveServices } from './services.js';

export interface LogsOptions {
  services: string[];
  file?: string;
  follow?: boolean;
  lines?: string;
  /** Earlier runs' output too (output.log spans runs; by default only the current sidecar's). */
  all?: boolean;
}

export async function logs(opts: LogsOptions): Promise<number> {
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const keys = resolveServices(stateDir, opts.services);
  const n = opts.lines === undefined ? 100 : Math.max(0, Number(opts.lines) || 0);
  const tty = process.stdout.isTTY === true;
  const color = colorEnabled(process.stdout);
  const prefix = prefixer(keys, { color });
  let text = '';
  for (const key of keys) {
    const since = opts.all ? undefined : stateFileOf(path.join(stateDir, key))?.supervisor.output_offset;
    for (const l of tailLines(path.join(stateDir, key, OUTPUT_LOG), n, since === undefined ? {} : { since })) text += prefix(key, displayLine(l, tty && color)) + '\n';
  }
  process.stdout.write(text);
  if (!opts.follow) return 0;

  const follower = new Follower(
    keys.map((key) => ({ key, dir: path.join(stateDir, key), offset: logSize(path.join(stateDir, key)) })),
    { color, keepAnsi: tty && color, write: (t) => process.stdout.write(t) },
  );
  follower.start();
  await new Promise<void>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve());
    process.stdout.once('error', () => resolve()); // e.g. a closed pipe
  });
  follower.stop();
  return 0;
}
