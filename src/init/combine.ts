// The sources' drafts → one stack that devport accepts: unique names and keys,
// dependencies that point at what exists in the form devport takes, no cycle,
// fixed ports used once, no env name devport sets itself. Each change is said.

import { isReservedKey } from '../state/dirs.js';
import { envPrefix } from '../spec/tree.js';
import { isReservedEnvName } from '../spec/semantics.js';
import { untranslated, type DraftService, type Translation, type Untranslated } from './types.js';

export interface Stack {
  services: DraftService[];
  env: { name: string; value: string; from: string }[];
  envFiles: { file: string; from: string }[];
  untranslated: Untranslated[];
  /** The files read, in order. */
  sources: string[];
}

const TAGS: [RegExp, string][] = [
  [/^Procfile/, 'procfile'],
  [/^process-compose/, 'pc'],
  [/compose/, 'compose'],
  [/^package\.json$/, 'npm'],
];

export function combine(translations: readonly Translation[]): Stack {
  const stack: Stack = { services: [], env: [], envFiles: [], untranslated: [], sources: translations.map((t) => t.file) };
  const keys = new Set<string>();
  for (const t of translations) {
    stack.untranslated.push(...t.untranslated);
    const renamed = new Map<string, string>();
    for (const s of t.services) {
      const name = uniqueName(s.name, t.file, keys);
      keys.add(envPrefix(name).toLowerCase());
      renamed.set(s.name, name);
      if (name !== s.name) {
        const why = isReservedKey(envPrefix(s.name).toLowerCase()) ? 'devport keeps its own .devport/ dir of that name' : 'that name is taken';
        s.notes = [...(s.notes ?? []), `named "${s.name}" in ${t.file}; ${why}`];
      }
      s.name = name;
    }
    for (const s of t.services) {
      s.dependsOn = s.dependsOn?.flatMap((d) => {
        const target = renamed.get(d.name);
        if (target === undefined || target === s.name) {
          stack.untranslated.push(untranslated(t.file, `${keyOf(s)}.depends_on.${d.name}`, target === undefined ? `no such ${t.file.startsWith('Procfile') ? 'process' : 'service'} was translated` : 'depends on itself'));
          return [];
        }
        return [{ ...d, name: target }];
      });
    }
    stack.services.push(...t.services);
    for (const f of t.envFiles ?? []) if (!stack.envFiles.some((e) => e.file === f)) stack.envFiles.push({ file: f, from: t.file });
    for (const { name, value, from = t.file } of t.env ?? []) {
      if (stack.env.some((e) => e.name === name)) stack.untranslated.push(untranslated(from, `environment.${name}`, 'set by an earlier source already'));
      else stack.env.push({ name, value, from });
    }
  }
  conditions(stack.services);
  breakCycles(stack);
  fixedPorts(stack);
  reservedEnv(stack);
  return stack;
}

/** The service's key in its source, for messages: its `from` without the file. */
function keyOf(s: DraftService): string {
  return s.from.split(' ').slice(1).join(' ') || s.name;
}

function fileOf(s: DraftService): string {
  return s.from.split(' ')[0] ?? s.from;
}

/** The name, else name-<source>, else name-2, -3…: keys (the name upper-cased, `_` for the rest) must differ. */
function uniqueName(name: string, file: string, keys: Set<string>): string {
  const free = (n: string) => {
    const key = envPrefix(n).toLowerCase();
    return !keys.has(key) && !isReservedKey(key);
  };
  const base = name === '' ? 'service' : name;
  if (free(base)) return base;
  const tagged = `${base}-${TAGS.find(([re]) => re.test(file))?.[1] ?? 'svc'}`;
  if (free(tagged)) return tagged;
  for (let i = 2; ; i++) if (free(`${tagged}-${i}`)) return `${tagged}-${i}`;
}

/** A task completes (never "healthy"); only a task completes. */
function conditions(services: DraftService[]): void {
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const s of services) {
    for (const d of s.dependsOn ?? []) {
      const isTask = byName.get(d.name)?.type === 'task';
      if (isTask && d.condition === 'healthy') d.condition = 'completed';
      if (!isTask && d.condition === 'completed') d.condition = 'healthy';
    }
  }
}

/** A dependency cycle would make the spec invalid: the edge that closes it is dropped. */
function breakCycles(stack: Stack): void {
  const byName = new Map(stack.services.map((s) => [s.name, s]));
  const state = new Map<string, 'open' | 'done'>();
  const visit = (s: DraftService): void => {
    state.set(s.name, 'open');
    s.dependsOn = s.dependsOn?.filter((d) => {
      const st = state.get(d.name);
      if (st === 'open') {
        stack.untranslated.push(untranslated(fileOf(s), `${keyOf(s)}.depends_on.${d.name}`, 'closes a dependency cycle; dropped'));
        return false;
      }
      const target = byName.get(d.name);
      if (st === undefined && target) visit(target);
      return true;
    });
    state.set(s.name, 'done');
  };
  for (const s of stack.services) if (!state.has(s.name)) visit(s);
}

/** Two services with one fixed port is an invalid spec: the later one gets an allocated port. */
function fixedPorts(stack: Stack): void {
  const seen = new Map<number, string>();
  for (const s of stack.services) {
    if (s.type === 'compose' || s.port === undefined) continue;
    const first = seen.get(s.port);
    if (first === undefined) {
      seen.set(s.port, s.name);
      continue;
    }
    stack.untranslated.push(untranslated(fileOf(s), keyOf(s), `port ${s.port} is also "${first}"'s: this one gets an allocated port (PORT)`));
    delete s.port;
    delete s.portNote;
  }
}

/** PORT, HOST, DEVPORT_* and every service's <NAME>_PORT/_URL are devport's to set. */
function reservedEnv(stack: Stack): void {
  const prefixes = new Set(stack.services.map((s) => envPrefix(s.name)));
  stack.env = stack.env.filter((e) => {
    if (!isReservedEnvName(e.name, prefixes)) return true;
    stack.untranslated.push(untranslated(e.from, `environment.${e.name}`, `devport sets ${e.name} itself`));
    return false;
  });
  for (const s of stack.services) {
    s.env = s.env?.filter(([name]) => {
      if (!isReservedEnvName(name, prefixes)) return true;
      stack.untranslated.push(untranslated(fileOf(s), `${keyOf(s)}.environment.${name}`, `devport sets ${name} itself`));
      return false;
    });
  }
}
