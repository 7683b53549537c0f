// A JSON Schema checker for the subset devport's schemas use: type (or a list
// of types), enum, const, minimum, maximum, required, properties,
// additionalProperties: false, items, oneOf, and $ref to a `#/…` pointer in the
// same document ($defs). Other keywords are not checked. The same checker
// holds files read at run time (state.json) and the published schemas in tests
// (which also hold them to a full validator, ajv: test/json-output.test.ts).

export type JsonSchema = {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Readonly<Record<string, JsonSchema>>;
  title?: string;
  description?: string;
  format?: string;
  type?: string | readonly string[];
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  required?: readonly string[];
  properties?: Readonly<Record<string, JsonSchema>>;
  additionalProperties?: boolean;
  items?: JsonSchema;
  oneOf?: readonly JsonSchema[];
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const resolved = new WeakMap<JsonSchema, Map<string, JsonSchema>>();

/** The schema a `#/…` pointer names in `root` (a mistake in devport's own schema throws). */
function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  let known = resolved.get(root);
  if (!known) resolved.set(root, (known = new Map()));
  let node = known.get(ref);
  if (!node) known.set(ref, (node = resolvePointer(root, ref)));
  return node;
}

function resolvePointer(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith('#')) throw new Error(`json-check: only $refs within the schema are supported, not ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
  }
  if (typeof node !== 'object' || node === null) throw new Error(`json-check: $ref ${ref} names nothing`);
  return node as JsonSchema;
}

/** The places where `value` breaks `schema` ("$.state.pid: expected integer|null, got string"); empty when it holds. */
export function checkJson(schema: JsonSchema, value: unknown, at = '$', root: JsonSchema = schema): string[] {
  const errors: string[] = [];
  if (schema.$ref !== undefined) {
    errors.push(...checkJson(resolveRef(root, schema.$ref), value, at, root));
    if (errors.length > 0) return errors;
  }
  if (schema.type !== undefined) {
    const types: readonly string[] = typeof schema.type === 'string' ? [schema.type] : schema.type;
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${at}: expected ${types.join('|')}, got ${t}`];
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && schema.const !== value) errors.push(`${at}: expected ${JSON.stringify(schema.const)}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: ${value} is below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: ${value} is above ${schema.maximum}`);
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!Object.hasOwn(obj, r)) errors.push(`${at}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      // Own properties only: a key named "constructor" or "__proto__" is not in `properties` because Object.prototype has it.
      const sub = schema.properties && Object.hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
      if (sub) errors.push(...checkJson(sub, v, `${at}.${k}`, root));
      else if (schema.additionalProperties === false) errors.push(`${at}: unexpected ${k}`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...checkJson(schema.items as JsonSchema, v, `${at}[${i}]`, root)));
  if (schema.oneOf) {
    const passing = schema.oneOf.filter((s) => checkJson(s, value, at, root).length === 0);
    if (passing.length !== 1) errors.push(`${at}: matches ${passing.length} of oneOf`);
  }
  return errors;
}
