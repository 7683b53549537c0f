// Procfile (foreman, overmind, Heroku): `name: command` lines. Procfile.dev is
// the development one (Rails' bin/dev runs it) and wins over Procfile.
// `release:` is Heroku's run-once step: a task the other processes wait for.

import path from 'node:path';
import { readFormation } from './formation.js';
import { literalPort, usesPortVariable, validPort } from './ports.js';
import { readSource, type SourceRead } from './read.js';
import { devportCommand, parseCommand } from './shell.js';
import { untranslated, type DraftService, type Translation } from './types.js';

export const PROCFILES = ['Procfile.dev', 'Procfile'] as const;

interface Entry {
  name: string;
  text: string;
  line: number;
}

function entries(text: string, file: string, t: Translation): Entry[] {
  const out: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const m = /^([\w.-]+):\s*(.*)$/.exec(line);
    if (!m || (m[2] ?? '').trim() === '') {
      t.untranslated.push(untranslated(file, `line ${i + 1}`, 'not a `name: command` line'));
      return;
    }
    out.push({ name: m[1] ?? '', text: (m[2] ?? '').trim(), line: i + 1 });
  });
  return out;
}

/** Which Procfile foreman or overmind would run here, and what is not read. */
function choose(dir: string, named: string | undefined, t: { untranslated: Translation['untranslated'] }): { file: string; read: SourceRead } | undefined {
  if (named !== undefined) {
    const read = readSource(dir, named);
    if (read) return { file: path.normalize(named), read };
    t.untranslated.push(untranslated('.overmind.env', 'OVERMIND_PROCFILE', `${named} does not exist; the default Procfile is read`));
  }
  const present = PROCFILES.flatMap((f) => {
    const read = readSource(dir, f);
    return read ? [{ file: f, read }] : [];
  });
  for (const other of present.slice(1)) {
    t.untranslated.push(untranslated(other.file, '', `${present[0]?.file} is the development Procfile and is the one read`));
  }
  return present[0];
}

export function readProcfile(dir: string): Translation | undefined {
  const formation = readFormation(dir);
  const skipped: Translation['untranslated'] = [];
  const chosen = choose(dir, formation.procfile, { untranslated: skipped });
  if (!chosen) return undefined;
  const file = chosen.file;
  const t: Translation = { file, services: [], untranslated: [...skipped, ...formation.untranslated] };
  if (!chosen.read.ok) {
    t.untranslated.push(untranslated(file, '', chosen.read.why));
    return t;
  }
  // foreman and overmind load .env into every process.
  if (readSource(dir, '.env')?.ok) t.envFiles = ['.env'];
  if (formation.env.length > 0) t.env = formation.env.map(([name, value]) => ({ name, value, from: '.overmind.env' }));

  const fixed = new Set<number>();
  const list = entries(chosen.read.text, file, t);
  const release = list.find((e) => e.name === 'release');
  for (const e of list) {
    const count = formation.counts.get(e.name) ?? formation.counts.get('all');
    if (count && count.n === 0) {
      t.untranslated.push(untranslated(count.file, count.key, `${e.name} is not started there (0 processes); not added`));
      continue;
    }
    if (count && count.n > 1) {
      t.untranslated.push(untranslated(count.file, count.key, `devport runs one process per service: copy [[service]] "${e.name}" under another name for more`));
    }
    t.services.push(translateEntry(e, file, e === release, fixed, formation.autoRestart.has(e.name), t));
  }
  if (release) {
    for (const s of t.services) if (s.name !== release.name) s.dependsOn = [{ name: release.name, condition: 'completed' }];
  }
  return t;
}

function translateEntry(e: Entry, file: string, isRelease: boolean, fixed: Set<number>, autoRestart: boolean, t: Translation): DraftService {
  const parsed = parseCommand(e.text);
  const s: DraftService = { name: e.name, from: `${file} ${e.name}`, type: isRelease ? 'task' : 'exec', original: e.text };
  if (!isRelease) {
    // foreman gives every process a PORT; only some listen on it. devport waits for a
    // service's port, so one is given where the command shows it listens.
    const assigned = parsed.assignments.findIndex(([k, v]) => k === 'PORT' && validPort(v) !== undefined && !fixed.has(Number(v)));
    const literal = literalPort(e.text);
    // A command that needs a shell keeps its `PORT=N` (devport sets the same).
    const inShell = parsed.words ? undefined : validPort(/^(?:env\s+)?(?:\w+=\S*\s+)*PORT=(\d+)\s/.exec(e.text)?.[1]);
    if (assigned !== -1) {
      s.port = Number(parsed.assignments[assigned]?.[1]);
      s.portNote = `PORT=${s.port} in ${file}`;
      parsed.assignments.splice(assigned, 1);
    } else if (inShell !== undefined && !fixed.has(inShell)) {
      s.port = inShell;
      s.portNote = `PORT=${s.port} in ${file}`;
    } else if (literal !== undefined && !fixed.has(literal)) {
      s.port = literal;
      s.portNote = 'the command listens on it';
    } else if (!usesPortVariable(e.text) && e.name !== 'web') {
      s.noPort = true;
    }
    if (s.port !== undefined) fixed.add(s.port);
    if (autoRestart) s.restart = 'always';
  }
  const cmd = devportCommand(parsed, ['sh', '-c']);
  s.command = cmd.command;
  if (cmd.env.length > 0) s.env = cmd.env;
  if (s.noPort) s.notes = ['it does not use $PORT: no port, healthy while it runs'];
  for (const why of cmd.problems) t.untranslated.push(untranslated(file, e.name, why));
  return s;
}
