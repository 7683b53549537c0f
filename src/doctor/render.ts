// Doctor's output: a line per check (✓ ok, ! warn, ✗ fail) with its hint
// below, and a summary; or one JSON object (spec/doctor.schema.json).

import { palette } from '../util/color.js';
import type { Check, Status } from './check.js';

export interface Report {
  ok: boolean;
  checks: Check[];
}

export function report(checks: Check[]): Report {
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

export function renderJson(r: Report): string {
  return JSON.stringify({ ok: r.ok, checks: r.checks.map((c) => (c.hint === undefined ? { name: c.name, status: c.status, detail: c.detail } : { name: c.name, status: c.status, detail: c.detail, hint: c.hint })) }) + '\n';
}

const MARK: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗' };

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function renderHuman(r: Report, opts: { color: boolean }): string {
  const c = palette(opts.color);
  const paint: Record<Status, (s: string) => string> = { ok: c.green, warn: c.yellow, fail: c.red };
  const width = Math.max(...r.checks.map((x) => x.name.length));
  const lines = [c.bold('devport doctor')];
  for (const x of r.checks) {
    lines.push(`  ${paint[x.status](MARK[x.status])} ${x.name.padEnd(width)}  ${x.detail}`);
    if (x.hint !== undefined) lines.push(`  ${' '.repeat(width + 2)}  ${c.cyan('hint')}: ${x.hint}`);
  }
  const failed = r.checks.filter((x) => x.status === 'fail').length;
  const warned = r.checks.filter((x) => x.status === 'warn').length;
  const summary =
    failed + warned === 0
      ? c.green(`all ${r.checks.length} checks passed`)
      : [failed > 0 ? c.red(plural(failed, 'check failed', 'checks failed')) : '', warned > 0 ? c.yellow(plural(warned, 'warning', 'warnings')) : ''].filter(Boolean).join(', ');
  lines.push(`devport doctor: ${summary}`);
  return lines.join('\n') + '\n';
}
