// The published JSON Schema, the example spec and the version stay true.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { renderFailuresHuman } from '../src/errors/render.js';
import { specJsonSchema } from '../src/spec/json-schema.js';
import { loadSpec } from '../src/spec/load.js';
import { SPEC_SCHEMA, type SchemaNode } from '../src/spec/schema.js';
import { STATE_SCHEMA } from '../src/state/schema.js';
import { VERSION } from '../src/version.js';
import { REPO } from './rig.js';

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
