// `devport doctor [spec] [--json]`: checks the environment devport runs in and
// says what to do about each problem. Exit 1 when a check failed (a warning is
// something devport works around, or something this project does not need).

import { doctorContext } from '../doctor/context.js';
import { renderHuman, renderJson, report } from '../doctor/render.js';
import { runChecks } from '../doctor/run.js';
import { failure, UserError } from '../errors/failure.js';
import { colorEnabled } from '../util/color.js';

export interface DoctorOptions {
  file?: string;
  spec?: string;
  json?: boolean;
}

export async function doctor(opts: DoctorOptions): Promise<number> {
  if (opts.file !== undefined && opts.spec !== undefined && opts.file !== opts.spec) {
    throw new UserError([failure('FLAG_CONFLICT', `both -f ${opts.file} and the positional spec ${opts.spec} were given`, { hint: 'name the spec once' })]);
  }
  const file = opts.file ?? opts.spec;
  const ctx = doctorContext({ cwd: process.cwd(), env: process.env, file });
  const r = report(await runChecks(ctx));
  process.stdout.write(opts.json ? renderJson(r) : renderHuman(r, { color: colorEnabled(process.stdout) }));
  return r.ok ? 0 : 1;
}
