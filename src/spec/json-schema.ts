// SPEC_SCHEMA → JSON Schema (draft 2020-12) for editors (taplo, VS Code Even Better TOML).

import type { SchemaNode, TableNode } from './schema.js';
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
      // One variant per tag value; the default variant also matches when the tag is absent.
      return withDescription(
        {
          type: 'object',
          oneOf: Object.entries(node.variants).map(([tag, variant]) => {
            const t = table(variant);
            const props = t.properties as Json;
            props[node.tag] = { ...(props[node.tag] as Json), const: tag };
            if (tag !== node.defaultTag) t.required = [...new Set([...((t.required as string[]) ?? []), node.tag])];
            delete t.description;
            return { ...t, title: `${node.tag} = "${tag}"` };
          }),
        },
        node,
      );
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
