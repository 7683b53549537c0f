// `devport ps [svc…]`: the stack as people read it (docker compose ps,
// overmind status): a row per service with its state, URL, pid, uptime,
// restarts and health; `--json` is the `ls` lines. Cut to the terminal.

import { inventory, type Entry } from '../state/inventory.js';
import { epochOfTicks } from '../sys/procfs.js';
import { colorEnabled, palette, stripAnsi } from '../util/color.js';
import { cutToWidth } from '../util/text.js';
import { stateDirOf } from './common.js';
import { ls } from './ls.js';
import { namesByKey, resolveServices } from './services.js';

export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

function stateWords(e: Entry): string {
  if (e.problem !== undefined) return 'untrusted';
  const s = e.state?.state;
  if (!s) return e.alive ? 'starting' : '-';
  return e.alive || s.state === 'stopped' ? s.state : `${s.state} (sidecar gone)`;
}

function uptime(e: Entry): string {
  const s = e.state?.state;
  if (!e.alive || !s || s.pid === null || s.pid_start === null) return '-';
  const started = epochOfTicks(s.pid_start);
  return started === undefined ? '-' : formatUptime(Date.now() - started);
}

/** Pads and cuts each row to the width (measured without ANSI), so a narrow terminal does not wrap. */
export function renderTable(rows: readonly string[][], width: number): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, stripAnsi(cell).length)));
  return rows
    .map((r) => {
      let line = '';
      let visible = 0;
      r.forEach((cell, i) => {
        const pad = i === r.length - 1 ? '' : ' '.repeat((widths[i] ?? 0) - stripAnsi(cell).length + 2);
        line += cell + pad;
        visible += stripAnsi(cell).length + pad.length;
      });
      return visible > width ? cutToWidth(line, width) : line.trimEnd();
    })
    .join('\n');
}

export function ps(opts: { file?: string; services?: readonly string[]; json?: boolean }): number {
  if (opts.json) return ls(opts);
  const { stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const only = opts.services && opts.services.length > 0 ? new Set(resolveServices(stateDir, opts.services)) : undefined;
  const entries = inventory(stateDir).filter((e) => !only || only.has(e.key));
  if (entries.length === 0) {
    process.stdout.write('nothing has run here yet: `devport up`\n');
    return 0;
  }
  const c = palette(colorEnabled(process.stdout));
  const names = namesByKey(stateDir);
  const look = (e: Entry, text: string) => {
    const s = e.state?.state.state;
    if (e.problem !== undefined || !e.alive) return c.dim(text);
    if (s === 'healthy' || s === 'completed') return c.green(text);
    if (s === 'unhealthy' || s === 'failed' || s === 'exited' || s === 'crashloop') return c.red(text);
    return c.yellow(text);
  };
  const rows = [['NAME', 'STATE', 'URL', 'PID', 'UPTIME', 'RESTARTS', 'HEALTH'].map((h) => c.bold(h))];
  for (const e of entries) {
    const s = e.state?.state;
    const name = names.get(e.key) ?? e.key;
    rows.push([
      c.service(e.key, e.key === name ? e.key : `${e.key} (${name})`),
      look(e, stateWords(e)),
      s?.url ?? '-',
      e.alive && s?.pid ? String(s.pid) : '-',
      uptime(e),
      String(s?.restarts ?? 0),
      e.problem ?? (s?.build?.ok === false ? `build failed (exit ${s.build.exit_code ?? '?'})` : (s?.health?.detail ?? s?.reason ?? '')),
    ]);
  }
  const width = process.stdout.isTTY ? process.stdout.columns || 120 : Number.MAX_SAFE_INTEGER;
  process.stdout.write(renderTable(rows, width) + '\n');
  return 0;
}
