// Structural validation of parsed TOML against SPEC_SCHEMA. Every error is
// collected (never first-error-only) with its position; what is invalid is
// dropped from the returned copy so semantic checks can still run on the rest.

import { constants as osConstants } from 'node:os';
import { failure, type Failure } from '../errors/failure.js';
import { DURATION_FORMS, MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from './duration.js';
import type { Path, PositionIndex } from './positions.js';
import type { SchemaNode, TableNode, TaggedNode } from './schema.js';
import { closest, quoteList } from './suggest.js';
import { fieldRef, where } from './where.js';

const INVALID = Symbol('invalid');
type Checked = unknown | typeof INVALID;

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isPlainTable(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  // smol-toml builds tables with a null prototype.
  return proto === null || proto === Object.prototype;
}

export function describeValue(v: unknown): string {
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a float';
  if (typeof v === 'bigint') return 'an integer';
  if (typeof v === 'boolean') return 'a boolean';
  if (Array.isArray(v)) return 'a list';
  if (isPlainTable(v)) return 'a table';
  return 'a date';
}

export function describeExpected(node: SchemaNode): string {
  switch (node.kind) {
    case 'string':
      return node.enum ? `one of ${quoteList(node.enum)}` : 'a string';
    case 'integer':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'duration':
      return 'a duration like "5s"';
    case 'signal':
      return 'a signal name like "SIGTERM"';
    case 'port':
      return 'a port number (1-65535)';
    case 'list': {
      const inner = describeExpected(node.items).replace(/^an? /, '');
      const plural = inner.startsWith('port number') ? 'port numbers' : inner.endsWith('s') ? inner : `${inner}s`;
      return node.items.kind === 'string' && node.items.enum ? 'a list' : `a list of ${plural}`;
    }
    case 'map':
    case 'table':
    case 'tagged':
      return 'a table';
    case 'anyOf':
      return node.variants.map(describeExpected).join(' or ');
    case 'tables':
      return 'a list of tables';
    default: {
      const never: never = node;
      return never;
    }
  }
}

const DURATION_UNIT_WORDS: Record<string, string> = {
  ms: 'ms', msec: 'ms', msecs: 'ms', millisecond: 'ms', milliseconds: 'ms',
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
};

function durationHint(text: string): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(text);
  const unit = m ? DURATION_UNIT_WORDS[(m[2] ?? '').toLowerCase()] : undefined;
  if (m && unit) return `did you mean "${m[1]}${unit}"? durations are written ${DURATION_FORMS}`;
  if (/^\s*\d+(?:\.\d+)?\s*$/.test(text)) return `add a unit: "${text.trim()}ms" or "${text.trim()}s"; durations are written ${DURATION_FORMS}`;
  return `durations are a number and a unit (ms, s, m, h): ${DURATION_FORMS}`;
}

/** "npm run dev" → `["npm", "run", "dev"]`: the hint for a command written as a string. */
function listOfWords(text: string): string {
  return `[${text.trim().split(/\s+/).map((w) => JSON.stringify(w)).join(', ')}]`;
}

export function normalizeSignal(name: string): string | undefined {
  const upper = name.toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return full in osConstants.signals ? full : undefined;
}

export class Validator {
  readonly failures: Failure[] = [];

  constructor(
    private readonly root: unknown,
    private readonly positions: PositionIndex,
  ) {}

  run(schema: TableNode): Record<string, unknown> {
    const cleaned = this.check(schema, this.root, []);
    return isPlainTable(cleaned) ? cleaned : {};
  }

  private error(path: Path, message: string, hint: string | undefined, at: 'value' | 'key' | 'table' = 'value'): void {
    const span =
      at === 'key' ? this.positions.keySpan(path) : at === 'table' ? this.positions.tableSpan(path) : this.positions.valueSpan(path);
    this.failures.push(failure('SPEC_INVALID', message, { hint, location: this.positions.locate(span) }));
  }

  private ref(path: Path): string {
    return fieldRef(path, this.root);
  }

  private wrongType(node: SchemaNode, value: unknown, path: Path): typeof INVALID {
    const expected = describeExpected(node);
    let hint = node.example ? `for example: ${node.example}` : undefined;
    const last = path[path.length - 1];
    if (typeof value === 'string' && node.kind === 'list' && node.items.kind === 'string') {
      hint = `write it as a list: ${String(last)} = ${listOfWords(value)}`;
    } else if (typeof value === 'string' && (node.kind === 'port' || node.kind === 'integer') && /^\d+$/.test(value)) {
      hint = `drop the quotes: ${String(last)} = ${value}`;
    } else if (typeof value === 'number' && node.kind === 'duration') {
      hint = `durations are strings with a unit: ${String(last)} = "${value}ms" or "${value}s"`;
    }
    this.error(path, `wrong type for ${this.ref(path)}: expected ${expected}, got ${describeValue(value)}`, hint);
    return INVALID;
  }

  private check(node: SchemaNode, value: unknown, path: Path): Checked {
    switch (node.kind) {
      case 'string': {
        if (typeof value !== 'string') return this.wrongType(node, value, path);
        if (node.enum && !node.enum.includes(value)) {
          const near = closest(value, node.enum);
          this.error(
            path,
            `invalid value "${value}" for ${this.ref(path)}: expected one of ${quoteList(node.enum)}`,
            near ? `did you mean "${near}"?` : node.example ? `for example: ${node.example}` : undefined,
          );
          return INVALID;
        }
        return value;
      }
      case 'integer': {
        if (typeof value !== 'number' || !Number.isInteger(value)) return this.wrongType(node, value, path);
        const { minimum = -Infinity, maximum = Infinity } = node;
        if (value < minimum || value > maximum) {
          this.error(path, `${this.ref(path)} must be from ${minimum} to ${maximum}, got ${value}`, node.example ? `for example: ${node.example}` : undefined);
          return INVALID;
        }
        return value;
      }
      case 'port': {
        if (typeof value !== 'number' || !Number.isInteger(value)) return this.wrongType(node, value, path);
        if (value < 1 || value > 65535) {
          this.error(path, `invalid port ${value} for ${this.ref(path)}: expected an integer from 1 to 65535`, 'ports are 1-65535; omit `port` to have one allocated');
          return INVALID;
        }
        return value;
      }
      case 'boolean':
        return typeof value === 'boolean' ? value : this.wrongType(node, value, path);
      case 'duration': {
        if (typeof value !== 'string') return this.wrongType(node, value, path);
        const ms = parseDuration(value);
        if (ms === undefined) {
          this.error(path, `invalid duration "${value}" for ${this.ref(path)}`, durationHint(value));
          return INVALID;
        }
        if (ms > MAX_DURATION_MS) {
          this.error(
            path,
            `duration "${value}" for ${this.ref(path)} is longer than the maximum of ${MAX_DURATION_TEXT}`,
            `write at most "${MAX_DURATION_TEXT}": longer waits overflow Node's timers (which then fire at once)`,
          );
          return INVALID;
        }
        return value;
      }
      case 'signal': {
        if (typeof value !== 'string') return this.wrongType(node, value, path);
        const sig = normalizeSignal(value);
        if (!sig) {
          this.error(path, `invalid signal "${value}" for ${this.ref(path)}`, 'use a signal name like "SIGTERM", "SIGINT", "SIGQUIT" or "SIGHUP"');
          return INVALID;
        }
        return sig;
      }
      case 'list': {
        if (!Array.isArray(value)) return this.wrongType(node, value, path);
        const out: unknown[] = [];
        value.forEach((item, i) => {
          const c = this.check(node.items, item, [...path, i]);
          if (c !== INVALID) out.push(c);
        });
        const n = value.length;
        if (node.minItems !== undefined && node.minItems === node.maxItems && n !== node.minItems) {
          this.error(path, `${this.ref(path)} must have exactly ${node.minItems} items, got ${n}`, node.example ? `for example: ${node.example}` : undefined);
          return INVALID;
        }
        return out.length === n ? out : INVALID;
      }
      case 'map': {
        if (!isPlainTable(value)) return this.wrongType(node, value, path);
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
          const isEnv = node.values.kind === 'anyOf';
          if (isEnv && !ENV_NAME.test(k)) {
            this.error([...path, k], `invalid environment variable name "${k}" ${where(path, this.root)}`, 'names are letters, digits and "_", not starting with a digit', 'key');
            continue;
          }
          const c = this.check(node.values, v, [...path, k]);
          if (c !== INVALID) out[k] = c;
        }
        return out;
      }
      case 'anyOf':
        return this.checkAnyOf(node, value, path);
      case 'table':
        return this.checkTable(node, value, path);
      case 'tagged':
        return this.checkTagged(node, value, path);
      case 'tables': {
        if (!Array.isArray(value)) return this.wrongType(node, value, path);
        return value.map((item, i) => {
          const c = this.check(node.item, item, [...path, i]);
          return c === INVALID ? {} : c;
        });
      }
      default: {
        const never: never = node;
        return never;
      }
    }
  }

  /** Reports the errors of the variant whose shape matches the value; a type error if none does. */
  private checkAnyOf(node: Extract<SchemaNode, { kind: 'anyOf' }>, value: unknown, path: Path): Checked {
    const shape = describeValue(value);
    const matching = node.variants.find((v) => {
      const expected = describeExpected(v);
      if (shape === 'a list') return expected.startsWith('a list');
      if (shape === 'a table') return expected === 'a table';
      if (shape === 'a string') return v.kind === 'string' || v.kind === 'duration' || v.kind === 'signal';
      if (shape === 'an integer') return v.kind === 'integer' || v.kind === 'port';
      if (shape === 'a boolean') return v.kind === 'boolean';
      return false;
    });
    if (!matching) return this.wrongType(node, value, path);
    return this.check(matching, value, path);
  }

  private checkTable(node: TableNode, value: unknown, path: Path, otherVariants?: { tag: string; variants: Readonly<Record<string, TableNode>> }): Checked {
    if (!isPlainTable(value)) return this.wrongType(node, value, path);
    const out: Record<string, unknown> = {};
    const allowed = Object.keys(node.fields);
    const suggested = new Set<string>();
    for (const [k, v] of Object.entries(value)) {
      const field = node.fields[k];
      if (!field) {
        const near = closest(k, allowed);
        if (near) suggested.add(near);
        this.error([...path, k], `unknown key "${k}" ${where(path, this.root)}`, this.unknownKeyHint(k, allowed, otherVariants), 'key');
        continue;
      }
      const c = this.check(field, v, [...path, k]);
      if (c !== INVALID) out[k] = c;
    }
    for (const req of node.required ?? []) {
      // A misspelt required key is reported once, as the unknown key with its suggestion.
      if (!(req in value) && !suggested.has(req)) {
        const example = node.fields[req]?.example;
        this.error(path, `missing key "${req}" ${where(path, this.root)}`, example ? `add ${example}` : undefined, 'table');
      }
    }
    return out;
  }

  private unknownKeyHint(key: string, allowed: string[], other?: { tag: string; variants: Readonly<Record<string, TableNode>> }): string {
    const near = closest(key, allowed);
    if (near) return `did you mean "${near}"?`;
    if (other) {
      const owners = Object.entries(other.variants)
        .filter(([, t]) => key in t.fields)
        .map(([name]) => name);
      if (owners.length > 0) return `"${key}" belongs to ${quoteList(owners)} entries: add ${other.tag} = "${owners[0]}"`;
    }
    return `allowed keys here: ${allowed.join(', ')}`;
  }

  private checkTagged(node: TaggedNode, value: unknown, path: Path): Checked {
    if (!isPlainTable(value)) return this.wrongType(node, value, path);
    const raw = value[node.tag] ?? node.defaultTag;
    const names = Object.keys(node.variants);
    const variant = typeof raw === 'string' ? node.variants[raw] : undefined;
    if (!variant) {
      // Report the bad tag once, then check against the union so nothing else cascades.
      if (typeof raw !== 'string') this.wrongType({ kind: 'string', enum: names, description: '' }, raw, [...path, node.tag]);
      else {
        const near = closest(raw, names);
        this.error([...path, node.tag], `invalid value "${raw}" for ${this.ref([...path, node.tag])}: expected one of ${quoteList(names)}`, near ? `did you mean "${near}"?` : undefined);
      }
      const union: TableNode = { kind: 'table', description: node.description, fields: Object.assign({}, ...Object.values(node.variants).map((v) => v.fields)) };
      const { [node.tag]: _dropped, ...rest } = value;
      return this.checkTable(union, rest, path);
    }
    return this.checkTable(variant, value, path, { tag: node.tag, variants: node.variants });
  }
}
