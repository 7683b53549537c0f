// The compose file of a node: found the way compose finds it, and read just far
// enough to know its services and their profiles (a subset of YAML: block
// mappings, which is what compose files are). devport never needs more of it;
// what this reader cannot follow it says so, and devport falls back to
// asking for nothing (the node's own name, compose's errors at `up`).

import { statSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../util/read-file.js';

/** Compose's own lookup order. */
export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;
/** The override compose loads beside a default file when no -f is given. */
const OVERRIDES: Record<string, readonly string[]> = {
  'compose.yaml': ['compose.override.yaml', 'compose.override.yml'],
  'compose.yml': ['compose.override.yml', 'compose.override.yaml'],
  'docker-compose.yml': ['docker-compose.override.yml', 'docker-compose.override.yaml'],
  'docker-compose.yaml': ['docker-compose.override.yaml', 'docker-compose.override.yml'],
};

const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The files of a node: `file` (relative to the spec's dir) if given; else the first default file in
 * `dir` plus its override file when there is one, as `docker compose` without -f would load them.
 */
export function composeFiles(specDir: string, dir: string, file: string | undefined): string[] | undefined {
  if (file !== undefined) return [path.resolve(specDir, file)];
  for (const name of DEFAULT_FILES) {
    const p = path.join(dir, name);
    if (!isFile(p)) continue;
    const over = (OVERRIDES[name] ?? []).map((o) => path.join(dir, o)).find(isFile);
    return over ? [p, over] : [p];
  }
  return undefined;
}

export interface ServiceInfo {
  /** Its profiles; null when the reader cannot tell (a merge key, a variable). */
  profiles: string[] | null;
  /** Its lines in the file, as written (to see whether it publishes `${<PREFIX>_PORT}` itself). */
  text: string;
}

export type ComposeFileRead = { ok: true; services: Map<string, ServiceInfo> } | { ok: false; reason: string };

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1);
  return t;
}

/** The line without its comment (a `#` at the start or after a space, outside quotes). */
function stripComment(s: string): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

/** `key: rest` of a mapping line, or undefined when it is not one. */
function keyOf(content: string): { key: string; rest: string } | undefined {
  const m = /^("[^"]*"|'[^']*'|[^\s"'#:][^:]*?)\s*:(?:\s+(.*))?$/.exec(content);
  if (!m) return undefined;
  return { key: unquote(m[1] ?? ''), rest: (m[2] ?? '').trim() };
}

function flowList(rest: string): string[] | null {
  const m = /^\[(.*)\]$/.exec(rest);
  if (!m) return null;
  const items = (m[1] ?? '').split(',').map(unquote).filter((x) => x !== '');
  return items.some((x) => x.includes('$')) ? null : items;
}

/** Service names and profiles of one compose file's text. */
export function parseComposeServices(text: string): ComposeFileRead {
  const services = new Map<string, ServiceInfo>();
  let inServices = false;
  let sawServices = false;
  let svcIndent = -1;
  let cur: { name: string; profiles: string[] | null; explicit: boolean; merge: boolean; lines: string[] } | undefined;
  let keyIndent = -1;
  let inProfiles = false;
  let started = false;
  const close = () => {
    if (!cur) return;
    services.set(cur.name, { profiles: cur.merge && !cur.explicit ? null : cur.profiles, text: cur.lines.join('\n') });
    cur = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*(#.*)?$/.test(raw)) continue;
    const indent = raw.length - raw.trimStart().length;
    if (/^\s*\t/.test(raw)) return { ok: false, reason: 'it indents with tabs' };
    const content = stripComment(raw.slice(indent));
    if (content === '') continue;
    if (content === '---' || content.startsWith('--- ')) {
      if (started) return { ok: false, reason: 'it holds several YAML documents' };
      continue;
    }
    started = true;
    if (indent === 0) {
      close();
      inServices = false;
      const kv = keyOf(content);
      if (kv?.key === 'services') {
        if (kv.rest !== '' && !kv.rest.startsWith('&')) return { ok: false, reason: '`services` is not a block mapping' };
        inServices = true;
        sawServices = true;
        svcIndent = -1;
      }
      continue;
    }
    if (!inServices) continue;
    if (svcIndent === -1) svcIndent = indent;
    if (indent < svcIndent) return { ok: false, reason: 'its indentation under `services` is uneven' };
    if (indent === svcIndent) {
      close();
      const kv = keyOf(content);
      if (!kv) return { ok: false, reason: `it has "${content}" where a service name belongs` };
      cur = { name: kv.key, profiles: [], explicit: false, merge: false, lines: [raw] };
      // `db: *base` or `db: {…}`: its body is somewhere this reader does not follow.
      if (kv.rest !== '' && !kv.rest.startsWith('&')) cur.profiles = null;
      keyIndent = -1;
      inProfiles = false;
      continue;
    }
    if (!cur) continue;
    cur.lines.push(raw);
    if (keyIndent === -1) keyIndent = indent;
    if (inProfiles && (indent > keyIndent || (indent === keyIndent && content.startsWith('-')))) {
      const item = unquote(content.replace(/^-\s*/, ''));
      if (cur.profiles && !item.includes('$')) cur.profiles.push(item);
      else cur.profiles = null;
      continue;
    }
    inProfiles = false;
    if (indent !== keyIndent) continue;
    const kv = keyOf(content);
    if (!kv) continue;
    if (kv.key === 'profiles') {
      cur.explicit = true;
      if (kv.rest === '') {
        cur.profiles = [];
        inProfiles = true;
      } else cur.profiles = flowList(kv.rest);
    } else if (kv.key === '<<') cur.merge = true;
  }
  close();
  if (!sawServices) return { ok: false, reason: 'it has no top-level `services`' };
  return { ok: true, services };
}

/** The services of a node's files (later files add services and override profiles). */
export function readComposeServices(files: readonly string[]): ComposeFileRead {
  const all = new Map<string, ServiceInfo>();
  for (const f of files) {
    const r = readRegularFile(f, { maxBytes: 1024 * 1024 });
    if (!r.ok) return { ok: false, reason: `${f} cannot be read` };
    const one = parseComposeServices(r.text);
    if (!one.ok) return { ok: false, reason: `${path.basename(f)}: ${one.reason}` };
    for (const [name, info] of one.services) {
      const prev = all.get(name);
      all.set(name, prev ? { profiles: /^\s+profiles\s*:/m.test(info.text) ? info.profiles : prev.profiles, text: `${prev.text}\n${info.text}` } : info);
    }
  }
  return { ok: true, services: all };
}

/**
 * The services a node runs. `services` as written; else the service named like the node when the
 * file has one; else what `docker compose --profile …  up` would start: every service without a
 * profile, and those of an active profile.
 */
export function selectServices(name: string, listed: readonly string[] | undefined, profiles: readonly string[], read: ComposeFileRead): string[] {
  if (listed !== undefined) return [...listed];
  if (!read.ok || read.services.has(name)) return [name];
  const active = new Set(profiles);
  const chosen = [...read.services].filter(([, s]) => s.profiles === null || s.profiles.length === 0 || s.profiles.some((p) => active.has(p))).map(([n]) => n);
  return chosen.length > 0 ? chosen : [name];
}

/** Whether a service's own lines publish `${<PREFIX>_PORT}` (the file makes the allocated port real itself). */
export function publishesStackPort(info: ServiceInfo | undefined, prefix: string): boolean {
  if (!info) return false;
  return new RegExp(`\\$\\{?${prefix}_PORT\\b`).test(info.text);
}
