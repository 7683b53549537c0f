// Reading a project's files for `init`: safely (a regular file, at most 1 MiB,
// like a spec), and a file that cannot be read is a reason, never a throw.

import path from 'node:path';
import { parseDocument } from 'yaml';
import { readRegularFile } from '../util/read-file.js';

const MAX_SOURCE_BYTES = 1024 * 1024;

export type SourceRead = { ok: true; text: string } | { ok: false; why: string };

/** undefined: no such file (the source is simply absent). */
export function readSource(dir: string, name: string): SourceRead | undefined {
  const r = readRegularFile(path.join(dir, name), { maxBytes: MAX_SOURCE_BYTES });
  if (r.ok) return { ok: true, text: r.text };
  if (r.reason === 'missing') return undefined;
  return { ok: false, why: `not read: it ${r.detail}` };
}

/** The first of `names` that exists in `dir`. */
export function firstPresent(dir: string, names: readonly string[]): { name: string; read: SourceRead } | undefined {
  for (const name of names) {
    const read = readSource(dir, name);
    if (read) return { name, read };
  }
  return undefined;
}

export type YamlRead = { ok: true; value: unknown } | { ok: false; why: string };

/** YAML → plain data; errors (and alias bombs: the parser's alias limit) as a reason. */
export function parseYaml(text: string): YamlRead {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  const err = doc.errors[0];
  if (err) {
    const line = text.slice(0, err.pos[0]).split('\n').length;
    return { ok: false, why: `not valid YAML${line ? ` (line ${line})` : ''}: ${err.message.split('\n')[0] ?? err.code}` };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e: unknown) {
    return { ok: false, why: `not read: ${(e as Error).message.split('\n')[0]}` };
  }
}

export const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
