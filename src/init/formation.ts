// What foreman and overmind read beside a Procfile: how many of each process
// (`worker=2`), overmind's other settings, and which Procfile to use.
// .overmind.env is a dotenv file; .foreman is `key: value` lines.

import { readSource } from './read.js';
import { untranslated, type Untranslated } from './types.js';

export interface Formation {
  /** Processes run N times (N ≠ 1), per process name; `all` for every one. */
  counts: Map<string, { n: number; file: string; key: string }>;
  /** overmind's OVERMIND_PROCFILE (or foreman's `procfile:`): the Procfile they run. */
  procfile: string | undefined;
  /** overmind's OVERMIND_AUTO_RESTART: restarted when they die. */
  autoRestart: Set<string>;
  /** Non-OVERMIND_ variables of .overmind.env: the processes' environment. */
  env: [string, string][];
  untranslated: Untranslated[];
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.endsWith(t[0]) ? t.slice(1, -1) : t;
}

function parseCounts(text: string, file: string, key: string, into: Formation['counts']): void {
  for (const part of text.split(',')) {
    const m = /^\s*([\w.-]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (m) into.set(m[1] ?? '', { n: Number(m[2]), file, key: `${key} ${(m[1] ?? '')}=${m[2] ?? ''}` });
  }
}

export function readFormation(dir: string): Formation {
  const f: Formation = { counts: new Map(), procfile: undefined, autoRestart: new Set(), env: [], untranslated: [] };
  const overmind = readSource(dir, '.overmind.env');
  if (overmind?.ok) {
    for (const line of overmind.text.split('\n')) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
      if (!m) continue;
      const name = m[1] ?? '';
      const value = unquote(m[2] ?? '');
      if (name === 'OVERMIND_FORMATION') parseCounts(value, '.overmind.env', name, f.counts);
      else if (name === 'OVERMIND_PROCFILE') f.procfile = value;
      else if (name === 'OVERMIND_AUTO_RESTART') value.split(',').map((s) => s.trim()).filter(Boolean).forEach((p) => f.autoRestart.add(p));
      // CAN_DIE: devport never stops the others when one exits, so there is nothing to translate.
      else if (name === 'OVERMIND_CAN_DIE') continue;
      else if (name.startsWith('OVERMIND_')) f.untranslated.push(untranslated('.overmind.env', name, "overmind's own setting; devport has no equivalent"));
      else f.env.push([name, value]);
    }
  } else if (overmind) f.untranslated.push(untranslated('.overmind.env', '', overmind.why));
  const foreman = readSource(dir, '.foreman');
  if (foreman?.ok) {
    for (const line of foreman.text.split('\n')) {
      const m = /^\s*(formation|concurrency)\s*:\s*(.*)$/.exec(line);
      const pf = /^\s*procfile\s*:\s*(.*)$/.exec(line);
      if (m) parseCounts(unquote(m[2] ?? ''), '.foreman', m[1] ?? '', f.counts);
      else if (pf) f.procfile ??= unquote(pf[1] ?? '');
      else if (/^\s*(env|port)\s*:/.test(line)) f.untranslated.push(untranslated('.foreman', line.split(':')[0]?.trim() ?? '', "foreman's own setting; not translated"));
    }
  }
  return f;
}
