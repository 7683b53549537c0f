import path from 'node:path';
import { docsAnchor } from './codes.js';
import type { Failure } from './failure.js';
import { palette, type Palette } from '../util/color.js';

function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

/** Compiler-style: `file:line:col error[CODE]: message`, the line, a caret, the hint. */
export function renderFailureHuman(f: Failure, opts: { color: boolean; cwd?: string }): string {
  const c: Palette = palette(opts.color);
  const cwd = opts.cwd ?? process.cwd();
  const out: string[] = [];
  const head = `${c.red(c.bold(`error[${f.code}]`))}${c.bold(`: ${f.message}`)}`;
  if (f.location) {
    const loc = f.location;
    out.push(`${c.bold(`${displayPath(loc.file, cwd)}:${loc.line}:${loc.col}`)} ${head}`);
    const gutter = String(loc.line).length;
    const pad = ' '.repeat(gutter);
    const text = loc.lineText.replace(/\t/g, ' ');
    const maxLen = Math.max(1, Math.min(loc.length, text.length - loc.col + 1));
    out.push(c.blue(`${pad} |`));
    out.push(`${c.blue(`${loc.line} |`)} ${text}`);
    out.push(`${c.blue(`${pad} |`)} ${' '.repeat(Math.max(0, loc.col - 1))}${c.red('^'.repeat(maxLen))}`);
  } else {
    out.push(head);
  }
  if (f.detail !== undefined && f.detail !== '') {
    for (const line of f.detail.replace(/\n$/, '').split('\n')) out.push(`  ${c.dim('│')} ${line}`);
  }
  out.push(`${c.cyan('hint')}: ${f.hint}`);
  return out.join('\n');
}

export function renderFailuresHuman(failures: readonly Failure[], opts: { color: boolean; cwd?: string }): string {
  const blocks = failures.map((f) => renderFailureHuman(f, opts));
  if (failures.length > 1) blocks.push(`${failures.length} errors`);
  return blocks.join('\n\n') + '\n';
}

function failureJson(f: Failure): Record<string, unknown> {
  const o: Record<string, unknown> = { code: f.code, message: f.message, hint: f.hint, docs: docsAnchor(f.code) };
  if (f.location) {
    o.file = f.location.file;
    o.line = f.location.line;
    o.col = f.location.col;
  }
  if (f.detail !== undefined) o.detail = f.detail;
  if (f.service !== undefined) o.service = f.service;
  return o;
}

/** One JSON object for stderr; several failures nest under `errors`. */
export function renderFailuresJson(failures: readonly Failure[]): string {
  const [first] = failures;
  if (!first) return '';
  if (failures.length === 1) return JSON.stringify(failureJson(first)) + '\n';
  return (
    JSON.stringify({
      code: first.code,
      message: `${failures.length} errors`,
      hint: first.hint,
      docs: docsAnchor(first.code),
      errors: failures.map(failureJson),
    }) + '\n'
  );
}
