// A node's environment, lowest precedence first: the caller's environment
// (minus the deny-list and reserved names), env_file, [env], the service's
// env, then what devport sets (PORT, HOST, <PREFIX>_PORT/_URL, DEVPORT_*).
// The plan stores it in layers (see child-env.ts); names are looked up in
// them one at a time, never copied whole per node.

import path from 'node:path';
import { parseEnv } from 'node:util';
import { failure, type Failure } from '../errors/failure.js';
import { formatBytes, MAX_ENV_FILE_BYTES } from '../spec/limits.js';
import type { EnvEntry, Spec } from '../spec/model.js';
import type { Path } from '../spec/positions.js';
import { isReservedEnvName } from '../spec/semantics.js';
import { closest } from '../spec/suggest.js';
import { fieldRef } from '../spec/where.js';
import { readRegularFile } from '../util/read-file.js';
import { ownValue } from './child-env.js';
import { expandTemplate } from './template.js';

/** Never passed from the caller to a child: they describe the caller's terminal, not the child's. */
export const ENV_DENY_LIST: ReadonlySet<string> = new Set(['TMUX', 'TMUX_PANE', 'PWD', 'OLDPWD', 'SHLVL', '_']);

export function inheritedEnv(source: NodeJS.ProcessEnv, prefixes: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined || ENV_DENY_LIST.has(k) || isReservedEnvName(k, prefixes)) continue;
    out[k] = v;
  }
  return out;
}

const ENV_FILE_HINTS = {
  missing: 'create it, or remove it from env_file (paths are relative to the spec)',
  symlink: 'point env_file at the file itself',
  'not-a-file': 'env_file must name a regular dotenv file (NAME=value lines), not a FIFO, device or directory',
  'too-large': `an env_file is read up to ${formatBytes(MAX_ENV_FILE_BYTES)}: keep only NAME=value lines in it`,
  unreadable: 'check its permissions, or remove it from env_file',
} as const;

/** The env_file entries, read safely: only regular files (a FIFO cannot hang, /dev/zero cannot fill memory), at most 1 MiB each. */
export function readEnvFiles(spec: Spec, prefixes: ReadonlySet<string>): { env: Record<string, string>; failures: Failure[] } {
  const env: Record<string, string> = {};
  const failures: Failure[] = [];
  for (const { file, path: at } of spec.envFiles) {
    const abs = path.resolve(spec.dir, file);
    const read = readRegularFile(abs, { maxBytes: MAX_ENV_FILE_BYTES });
    if (!read.ok) {
      failures.push(
        failure('SPEC_INVALID', `env_file "${file}" ${read.detail} (${abs})`, {
          hint: ENV_FILE_HINTS[read.reason],
          location: spec.positions.locate(spec.positions.valueSpan(at)),
        }),
      );
      continue;
    }
    // Reserved names in a shared .env (PORT=3000 is common) are devport's to set: skip them.
    for (const [k, v] of Object.entries(parseEnv(read.text))) if (v !== undefined && !isReservedEnvName(k, prefixes)) env[k] = v;
  }
  return { env, failures };
}

export type Lookup = (name: string) => string | undefined;

/** Fills the templates of one field; reports an unknown name at its position in the source. */
export class TemplateFiller {
  readonly failures: Failure[] = [];
  readonly #reported = new Set<string>();

  constructor(
    private readonly spec: Spec,
    private readonly raw: unknown,
  ) {}

  fill(text: string, at: Path, owner: string, lookup: Lookup, scopeNames: () => Iterable<string>, laterNames: ReadonlySet<string> = new Set()): string {
    const r = expandTemplate(text, lookup);
    if (r.ok) return r.value;
    const id = `${at.join('.')}\u0000${r.reason}`;
    if (!this.#reported.has(id)) {
      this.#reported.add(id);
      const nameLength = 'name' in r && r.name !== undefined ? r.name.length + 3 : 1;
      const location = this.locateInString(at, r.offset, r.reason === 'unterminated' ? 2 : nameLength);
      const field = fieldRef(at, this.raw);
      if (r.reason === 'too-long') {
        this.failures.push(
          failure('SPEC_INVALID', `${field}${owner ? ` (for "${owner}")` : ''} would be longer than ${r.limit} characters once filled${r.name ? ` (at \${${r.name}})` : ''}`, {
            hint: `a filled value may be at most ${r.limit} characters (Linux's limit for one argument or env string); templates that use each other grow fast: A = "\${B}\${B}" doubles B`,
            location,
          }),
        );
      } else if (r.reason === 'unknown-name') {
        const near = closest(r.name, scopeNames());
        const hint = laterNames.has(r.name)
          ? `"${r.name}" is set further down in [env]: move it above this entry`
          : near
            ? `did you mean "\${${near}}"? (write $$ for a literal $)`
            : `set ${r.name} in [env] or in the environment, or write $$ for a literal $`;
        this.failures.push(failure('SPEC_INVALID', `unknown variable \${${r.name}} in ${field}${owner ? ` (for "${owner}")` : ''}`, { hint, location }));
      } else if (r.reason === 'unterminated') {
        this.failures.push(failure('SPEC_INVALID', `unterminated \${ in ${field}`, { hint: 'close it with "}", or write $$ for a literal $', location }));
      } else {
        this.failures.push(failure('SPEC_INVALID', `invalid variable name \${${r.name}} in ${field}`, { hint: 'names are letters, digits and "_"; write $$ for a literal $', location }));
      }
    }
    // A value too long stays empty: its raw text, used by the next entry, would double again and cascade.
    return r.reason === 'too-long' ? '' : text;
  }

  /** The source position of `offset` within the string value at `at` (exact unless escapes precede it). */
  private locateInString(at: Path, offset: number, length: number) {
    const p = this.spec.positions;
    const span = p.valueSpan(at);
    if (!span) return p.locate(undefined);
    const open = p.text.startsWith('"""', span.start) || p.text.startsWith("'''", span.start) ? 3 : 1;
    const start = span.start + open + offset;
    return p.locate({ start, end: start + length });
  }
}

/** Expands a list of env entries in order: each may use the scope and the entries before it. */
export function expandEntries(
  entries: readonly EnvEntry[],
  scope: Lookup,
  scopeNames: () => Iterable<string>,
  filler: TemplateFiller,
  owner: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const later = new Set(entries.map((e) => e.name));
  for (const e of entries) {
    later.delete(e.name);
    const lookup: Lookup = (n) => ownValue(out, n) ?? scope(n);
    out[e.name] = filler.fill(e.value, e.path, owner, lookup, () => [...Object.keys(out), ...scopeNames()], later);
  }
  return out;
}
