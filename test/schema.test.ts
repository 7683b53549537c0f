// The published JSON Schema, the example spec and the version stay true.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseToml } from 'smol-toml';
import { renderFailuresHuman } from '../src/errors/render.js';
import { convert, specJsonSchema } from '../src/spec/json-schema.js';
import { loadSpec, loadSpecText } from '../src/spec/load.js';
import { SPEC_SCHEMA, type SchemaNode, type TaggedNode } from '../src/spec/schema.js';
import { STATE_SCHEMA } from '../src/state/schema.js';
import { checkJson } from '../src/util/json-check.js';
import { VERSION } from '../src/version.js';
import { REPO, stateFixture } from './rig.js';

test('spec/devport.schema.json is generated from src/spec/schema.ts (npm run gen:schema)', () => {
  const onDisk = JSON.parse(readFileSync(path.join(REPO, 'spec', 'devport.schema.json'), 'utf8'));
  assert.deepEqual(onDisk, specJsonSchema());
  assert.equal(onDisk.$schema, 'https://json-schema.org/draft/2020-12/schema');
});

test('spec/state.schema.json is generated from src/state/schema.ts, which every reader of state.json checks against', () => {
  const onDisk = JSON.parse(readFileSync(path.join(REPO, 'spec', 'state.schema.json'), 'utf8'));
  assert.deepEqual(onDisk, STATE_SCHEMA);
});

test('.devport.example.toml is valid and uses every key of the schema', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-example-'));
  try {
    cpSync(path.join(REPO, '.devport.example.toml'), path.join(dir, 'devport.toml'));
    // The directories and files its routes and env_file name.
    mkdirSync(path.join(dir, 'docs', 'dist'), { recursive: true });
    for (const f of ['.env', '.env.local']) writeFileSync(path.join(dir, f), 'EXAMPLE=1\n');
    writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  postgres:\n    image: postgres\n  redis:\n    image: redis\n');
    const r = loadSpec(path.join(dir, 'devport.toml'));
    if (!r.ok) assert.fail(renderFailuresHuman(r.failures, { color: false, cwd: dir }));
    const text = readFileSync(path.join(dir, 'devport.toml'), 'utf8');
    const keys = new Set<string>();
    const walk = (n: SchemaNode): void => {
      if (n.kind === 'table') for (const [k, v] of Object.entries(n.fields)) (keys.add(k), walk(v));
      else if (n.kind === 'tagged') Object.values(n.variants).forEach(walk);
      else if (n.kind === 'tables') walk(n.item);
    };
    walk(SPEC_SCHEMA);
    // As `key = …`, `[key]`, `[[key]]` or `[service.key]`.
    const missing = [...keys].filter((k) => !new RegExp(`(^\\s*|[\\[.{,]\\s*)${k}(\\]|\\s*=)`, 'm').test(text));
    assert.deepEqual(missing, [], 'keys not shown in .devport.example.toml');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('src/version.ts matches package.json', () => {
  assert.equal(VERSION, JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
});

const SCHEMA_FILE = path.join(REPO, 'spec', 'devport.schema.json');
const EXAMPLES = ['.devport.example.toml', 'examples/quickstart/devport.toml'];

/** An exec service with a typo, and a typo in an exec route: the mistake an editor must name. */
const TYPO_SERVICE = '[[service]]\nname = "api"\ncomand = ["node", "server.js"]\n';
const TYPO_ROUTE = '[[service]]\ntype = "proxy"\nname = "web"\n  [[service.routes]]\n  name = "api"\n  path = "/api/"\n  command = ["node", "api.js"]\n  comand = ["node", "api.js"]\n';
const NOT_ALLOWED = "Additional properties are not allowed ('comand' was unexpected)";

test('taplo (Even Better TOML) names an unknown key instead of "not valid under any of the schemas listed in the \'oneOf\' keyword"', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-taplo-'));
  try {
    // As a user's file says it: a `#:schema` first line (here absolute; the examples' are relative).
    const bad = { service: path.join(dir, 'service.toml'), route: path.join(dir, 'route.toml') };
    writeFileSync(bad.service, `#:schema ${SCHEMA_FILE}\n${TYPO_SERVICE}`);
    writeFileSync(bad.route, `#:schema ${SCHEMA_FILE}\n${TYPO_ROUTE}`);
    const examples = EXAMPLES.map((f) => path.join(REPO, f));
    for (const f of examples) {
      const directive = /^#:schema (.+)$/m.exec(readFileSync(f, 'utf8'))?.[1];
      assert.equal(directive && path.resolve(path.dirname(f), directive), SCHEMA_FILE, `${f} points its editor at spec/devport.schema.json`);
    }
    // One run for all four files: taplo's wasm takes seconds to start. Offline: the schema is a file,
    // no catalog is asked for (--default-schema-catalogs is not given), no config is looked for.
    const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules/@taplo/cli/dist/cli.js'), 'lint', '--no-auto-config', '--colors', 'never', bad.service, bad.route, ...examples], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, RUST_LOG: 'warn' },
    });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 1, out);
    // Each diagnostic: `error: <message>` then `┌─ <file>:<line>:<col>` (once per text range of the node it is about).
    const diags = [...out.matchAll(/^error: (.*)\n\s*┌─ (.*):(\d+):(\d+)$/gm)].map((m) => ({ message: m[1]!, file: m[2]!, line: Number(m[3]) }));
    const of = (f: string) => diags.filter((d) => d.file === f);
    assert.ok(!/oneOf/.test(out), out);
    assert.deepEqual(new Set(of(bad.service).map((d) => d.message)), new Set([NOT_ALLOWED, '"command" is a required property']), out);
    assert.deepEqual(new Set(of(bad.route).map((d) => d.message)), new Set([NOT_ALLOWED]), out);
    // About the route's table (from its [[service.routes]] line on), not the proxy.
    assert.ok(of(bad.route).every((d) => d.line >= 5), out);
    for (const f of examples) assert.deepEqual(of(f), [], `${f} is valid:\n${out}`);
    assert.deepEqual([...out.matchAll(/invalid file .* path="(.*)"/g)].map((m) => m[1]).sort(), [bad.route, bad.service].sort(), out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spec/devport.schema.json under ajv (strict): the examples pass, and each key a type does not take is refused, as devport refuses it', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
  for (const f of EXAMPLES) assert.ok(validate(parseToml(readFileSync(path.join(REPO, f), 'utf8'))), `${f}: ${JSON.stringify(validate.errors)}`);
  const refused: [string, string][] = [
    [TYPO_SERVICE, 'comand'],
    [TYPO_ROUTE, 'comand'],
    ['[[service]]\nname = "seed"\ntype = "task"\ncommand = ["true"]\nrestart = "always"\n', 'restart'],
    ['[[service]]\nname = "api"\ncommand = ["true"]\nhold_timeout = "1s"\n', 'hold_timeout'],
    ['[[service]]\nname = "db"\ntype = "compose"\ncommand = ["true"]\n', 'command'],
    ['[[service]]\ntype = "proxy"\nroutes = []\nrestart = "always"\n', 'restart'],
    ['[[service]]\ntype = "proxy"\n  [[service.routes]]\n  path = "/"\n  type = "static"\n  root = "."\n  url = "http://x"\n', 'url'],
    ['[[service]]\ntype = "proxy"\n  [[service.routes]]\n  path = "/"\n  type = "http"\n  url = "http://x"\n  root = "."\n', 'root'],
    ['[[service]]\ntype = "proxy"\n  [[service.routes]]\n  name = "a"\n  path = "/"\n  command = ["true"]\n  spa = true\n', 'spa'],
  ];
  for (const [text, key] of refused) {
    assert.equal(validate(parseToml(text)), false, text);
    assert.ok(
      validate.errors?.some((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty === key),
      `${text}\n→ ${JSON.stringify(validate.errors)}`,
    );
    const runtime = loadSpecText(path.join(os.tmpdir(), 'devport.toml'), text);
    assert.ok(!runtime.ok && runtime.failures.some((f) => f.message.includes(`"${key}"`)), `devport refuses it too:\n${text}`);
  }
  // `type` absent is exec; an unknown type is refused for its value.
  assert.equal(validate(parseToml('[[service]]\nname = "api"\ncommand = ["true"]\nrestart = "never"\n')), true);
  assert.equal(validate(parseToml('[[service]]\nname = "api"\ntype = "daemon"\ncommand = ["true"]\n')), false);
});

test('a key two types take with different values is checked per type, not by the first one', () => {
  const node: TaggedNode = {
    kind: 'tagged',
    description: 'x',
    tag: 'type',
    defaultTag: 'a',
    variants: {
      a: { kind: 'table', description: 'A', fields: { type: { kind: 'string', description: 'the type', enum: ['a', 'b'] }, size: { kind: 'integer', description: 'a count', minimum: 1 } } },
      b: { kind: 'table', description: 'B', required: ['type', 'size'], fields: { type: { kind: 'string', description: 'the type', enum: ['a', 'b'] }, size: { kind: 'string', description: 'a word' } } },
    },
  };
  const validate = new Ajv2020({ strict: true }).compile(convert(node));
  assert.deepEqual(
    [{ size: 2 }, { type: 'a', size: 2 }, { type: 'b', size: 'big' }, { type: 'a', size: 'big' }, { type: 'b', size: 2 }, { size: 0 }, { type: 'b' }, { type: 'c', size: 1 }].map((v) => validate(v)),
    [true, true, true, false, false, false, false, false],
  );
  assert.equal((convert(node).properties as Record<string, { description: string }>).size?.description, '- a: a count\n- b: a word');
});

test('json-check: $ref into $defs, and keys named like Object.prototype members are not "properties"', () => {
  const file = JSON.parse(stateFixture('api', 'healthy')) as { state: Record<string, unknown>; supervisor: Record<string, unknown> };
  assert.deepEqual(checkJson(STATE_SCHEMA, file), []);
  assert.deepEqual(checkJson(STATE_SCHEMA, { ...file, state: { ...file.state, pid: 'nope' } }), ['$.state.pid: expected integer|null, got string']);
  // A forged state.json: JSON.parse makes these own members; `properties.constructor` is Object's, not ours.
  const forged = JSON.parse(JSON.stringify(file).replace('"state":{', '"state":{"constructor":1,"__proto__":{"x":1},').replace('"supervisor":{', '"supervisor":{"toString":"x",'));
  assert.deepEqual(checkJson(STATE_SCHEMA, forged).sort(), ['$.state: unexpected __proto__', '$.state: unexpected constructor', '$.supervisor: unexpected toString']);
});
