// What the dispatcher (devport.js) and the sidecar's own entry (sidecar.cjs)
// share: running a verb's handler with errors rendered, and _supervise's arguments.

import { parseArgs } from 'node:util';
import type { SuperviseOptions } from '../src/commands/supervise.js';
import { VERSION } from '../src/version.js';

export type Handler = () => Promise<number>;

export const wantsJson = () => process.argv.includes('--json');

export async function report(err: unknown): Promise<number> {
  const { UserError } = await import('../src/errors/failure.js');
  const { renderFailuresHuman, renderFailuresJson } = await import('../src/errors/render.js');
  const { colorEnabled } = await import('../src/util/color.js');
  if (UserError.is(err)) {
    process.stderr.write(wantsJson() ? renderFailuresJson(err.failures) : renderFailuresHuman(err.failures, { color: colorEnabled(process.stderr) }));
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  const f = {
    code: 'INTERNAL' as const,
    message: `internal error, please report: ${message}`,
    hint: `devport ${VERSION} on node ${process.version}; please report this with the command you ran`,
    detail: err instanceof Error && err.stack ? err.stack.split('\n').slice(1).join('\n').trim() : undefined,
  };
  process.stderr.write(wantsJson() ? renderFailuresJson([f]) : renderFailuresHuman([f], { color: colorEnabled(process.stderr) }));
  return 1;
}

export async function runHandler(h: Handler): Promise<void> {
  let code: number;
  try {
    code = await h();
  } catch (err: unknown) {
    code = await report(err);
  }
  process.exitCode = code;
}

/** `_supervise --key KEY [--plan FILE] [-f FILE]`; undefined (usage said, exit code set) when malformed. */
export function parseSuperviseArgs(args: string[]): SuperviseOptions | undefined {
  let o: { key?: string | undefined; plan?: string | undefined; file?: string | undefined };
  try {
    o = parseArgs({ args, options: { key: { type: 'string' }, plan: { type: 'string' }, file: { type: 'string', short: 'f' } } }).values;
  } catch (err: unknown) {
    process.stderr.write(`error[USAGE]: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return undefined;
  }
  if (!o.key) {
    process.stderr.write('error[USAGE]: _supervise needs --key KEY\n');
    process.exitCode = 1;
    return undefined;
  }
  return { key: o.key, plan: o.plan, file: o.file };
}
