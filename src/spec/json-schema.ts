// SPEC_SCHEMA → JSON Schema (draft 2020-12) for editors (taplo, VS Code Even Better TOML).

import type { SchemaNode, TableNode, TaggedNode } from './schema.js';
import { SPEC_SCHEMA } from './schema.js';

type Json = Record<string, unknown>;

const DURATION_PATTERN = '^(0|(\\d+(\\.\\d+)?(ms|s|m|h))+)$';

function withDescription(out: Json, node: SchemaNode): Json {
  if (node.description) out.description = node.description;
  return out;
}

function table(node: TableNode, extra: Json = {}): Json {
  const properties: Json = {};
  for (const [k, v] of Object.entries(node.fields)) properties[k] = convert(v);
  const out: Json = { type: 'object', properties, additionalProperties: false, ...extra };
  if (node.required && node.required.length > 0) out.required = [...node.required];
  return withDescription(out, node);
}

/** The schema without its descriptions, to compare what two schemas accept. */
function constraints(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(constraints);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'description').map(([k, x]) => [k, constraints(x)]));
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(constraints(a)) === JSON.stringify(constraints(b));

/**
 * A table whose keys depend on its tag (`type`). Not a `oneOf` of one table per
 * type: a validator can only say that none of them matched (taplo printed "not
 * valid under any of the schemas listed in the 'oneOf' keyword" for one unknown
 * key). Instead one object with every key of every type (`properties`, for
 * completion and hover), then an `if`/`then` per type whose `then` allows that
 * type's keys only (`additionalProperties: false`) and requires its required
 * ones, so an unknown key is reported by name: "Additional properties are not
 * allowed ('comand' was unexpected)". The default type's `if` also holds when
 * the tag is absent. The `if`s are chained through `else` (not listed in an
 * `allOf`): taplo looks for completions in `properties` next to `allOf` only
 * when there is none.
 */
function tagged(node: TaggedNode): Json {
  const variants = Object.entries(node.variants).map(([tag, v]) => ({ tag, props: table(v).properties as Json, table: v }));
  // Every key, in the order the types list them (the default type first).
  const order = [node.defaultTag, ...variants.map((v) => v.tag).filter((t) => t !== node.defaultTag)];
  const byTag = new Map(variants.map((v) => [v.tag, v]));
  const properties: Json = {};
  for (const tag of order) for (const key of Object.keys(byTag.get(tag)!.props)) properties[key] ??= null;
  for (const key of Object.keys(properties)) {
    const having = order.filter((t) => key in byTag.get(t)!.props).map((t) => ({ tag: t, schema: byTag.get(t)!.props[key] as Json }));
    const [first] = having as [{ tag: string; schema: Json }];
    // One description, or each type's when they differ, as a list ("- exec, task: …").
    const groups = new Map<string, string[]>();
    for (const h of having) {
      const d = typeof h.schema.description === 'string' ? h.schema.description : '';
      groups.set(d, [...(groups.get(d) ?? []), h.tag]);
    }
    const description = groups.size === 1 ? [...groups.keys()][0]! : [...groups].map(([d, tags]) => `- ${tags.join(', ')}: ${d}`).join('\n');
    // The key's own schema when every type that has it agrees on what it accepts;
    // else only its description here, and each type's schema in that type's `then`.
    const shared = having.every((h) => same(h.schema, first.schema));
    const out: Json = shared ? { ...first.schema } : {};
    delete out.description;
    if (description !== '') out.description = description;
    properties[key] = out;
  }
  const branch = (tag: string): Json => {
    const v = byTag.get(tag)!;
    const allowed: Json = {};
    for (const [key, schema] of Object.entries(v.props)) allowed[key] = same(schema, properties[key]) ? true : schema;
    const then: Json = { description: `${node.tag} = "${tag}": ${v.table.description}`, properties: allowed, additionalProperties: false };
    if (v.table.required && v.table.required.length > 0) then.required = [...v.table.required];
    const test: Json = { properties: { [node.tag]: { const: tag } } };
    if (tag !== node.defaultTag) test.required = [node.tag];
    return { if: test, then };
  };
  let chain: Json | undefined;
  for (const tag of [...order].reverse()) chain = { ...branch(tag), ...(chain ? { else: chain } : {}) };
  return withDescription({ type: 'object', properties, ...chain }, node);
}

export function convert(node: SchemaNode): Json {
  switch (node.kind) {
    case 'string':
      return withDescription(node.enum ? { type: 'string', enum: [...node.enum] } : { type: 'string' }, node);
    case 'integer': {
      const out: Json = { type: 'integer' };
      if (node.minimum !== undefined) out.minimum = node.minimum;
      if (node.maximum !== undefined) out.maximum = node.maximum;
      return withDescription(out, node);
    }
    case 'port':
      return withDescription({ type: 'integer', minimum: 1, maximum: 65535 }, node);
    case 'boolean':
      return withDescription({ type: 'boolean' }, node);
    case 'duration':
      return withDescription({ type: 'string', pattern: DURATION_PATTERN }, node);
    case 'signal':
      return withDescription({ type: 'string', pattern: '^(SIG)?[A-Z0-9]+$' }, node);
    case 'list': {
      const out: Json = { type: 'array', items: convert(node.items) };
      if (node.minItems !== undefined) out.minItems = node.minItems;
      if (node.maxItems !== undefined) out.maxItems = node.maxItems;
      return withDescription(out, node);
    }
    case 'map':
      return withDescription({ type: 'object', additionalProperties: convert(node.values) }, node);
    case 'anyOf':
      return withDescription({ anyOf: node.variants.map(convert) }, node);
    case 'table':
      return table(node);
    case 'tagged':
      return tagged(node);
    case 'tables':
      return withDescription({ type: 'array', items: convert(node.item) }, node);
    default: {
      const never: never = node;
      return never;
    }
  }
}

export function specJsonSchema(): Json {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/devport/devport/spec/devport.schema.json',
    title: 'devport.toml',
    ...table(SPEC_SCHEMA),
  };
}
