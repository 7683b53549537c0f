// `devport logs [svc…] [-f] [-n N] [--since DUR] [--all] [--no-prefix] [--json]`:
// services' output from output.log, prefixed and coloured per service; by
// default the current run's only (each sidecar records where its output
// begins). --json: one object per line, with when and which generation wrote it.

import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import { OUTPUT_LOG } from '../state/dirs.js';
import { stateFileOf } from '../state/read.js';
import { displayLine, Follower, logSize, prefixer } from '../stack/follow.js';
import { linesFrom, markAt, offsetSince, readMarks } from '../stack/log-lines.js';
import { tailLines } from '../supervisor/output-log.js';
import { colorEnabled, stripAnsi } from '../util/color.js';
import { parseDurationFlag, stateDirOf } from './common.js';
import { resolveServices } from './services.js';

export interface LogsOptions {
  services: string[];
  file?: string;
  follow?: boolean;
  lines?: string;
  /** Earlier runs' output too (output.log spans runs; by default only the current sidecar's). */
  all?: boolean;
  since?: string;
  /** commander's --no-prefix: false. */
  prefix?: boolean;
  json?: boolean;
}

function lineCount(value: string | undefined): number {
  if (value === undefined) return 100;
  if (!/^\d+$/.test(value)) throw new UserError([failure('USAGE', `-n ${value} is not a number of lines`, { hint: 'write -n 50 (0 with -f: only what comes next)' })]);
  return Number(value);
}

export async function logs(opts: LogsOptions): Promise<number> {
  const n = lineCount(opts.lines);
  const sinceMs = opts.since === undefined ? undefined : Date.now() - parseDurationFlag('--since', opts.since);
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const keys = resolveServices(stateDir, opts.services);
  const tty = process.stdout.isTTY === true;
  const color = !opts.json && colorEnabled(process.stdout);
  const prefix = prefixer(keys, { color });
  const plain = (key: string, raw: string) => (opts.prefix === false ? displayLine(raw, tty && color) : prefix(key, displayLine(raw, tty && color)));
  let text = '';
  for (const key of keys) {
    const file = path.join(stateDir, key, OUTPUT_LOG);
    const runStart = opts.all ? 0 : (stateFileOf(path.join(stateDir, key))?.supervisor.output_offset ?? 0);
    const marks = opts.json || sinceMs !== undefined ? readMarks(file) : [];
    let from = runStart;
    if (sinceMs !== undefined) from = Math.max(from, offsetSince(marks, sinceMs) ?? Number.MAX_SAFE_INTEGER);
    if (opts.json) {
      for (const l of linesFrom(file, from, n)) {
        const m = markAt(marks, l.offset);
        text += JSON.stringify({ service: key, generation: m?.generation ?? null, ts: m ? new Date(m.ts).toISOString() : null, text: stripAnsi(displayLine(l.text, true)) }) + '\n';
      }
    } else if (opts.all && sinceMs === undefined) {
      // The whole history: reaches into output.log.1 when needed.
      for (const l of tailLines(file, n)) text += plain(key, l) + '\n';
    } else {
      for (const l of linesFrom(file, from, n)) text += plain(key, l.text) + '\n';
    }
  }
  process.stdout.write(text);
  if (!opts.follow) return 0;

  const generationOf = (key: string) => stateFileOf(path.join(stateDir, key))?.state.generation ?? null;
  const follower = new Follower(
    keys.map((key) => ({ key, dir: path.join(stateDir, key), offset: logSize(path.join(stateDir, key)) })),
    {
      color,
      keepAnsi: tty && color,
      write: (t) => process.stdout.write(t),
      format: opts.json ? (key, raw) => JSON.stringify({ service: key, generation: generationOf(key), ts: new Date().toISOString(), text: stripAnsi(displayLine(raw, true)) }) : plain,
    },
  );
  follower.start();
  await new Promise<void>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve());
    process.stdout.once('error', () => resolve()); // e.g. a closed pipe
  });
  follower.stop();
  return 0;
}
