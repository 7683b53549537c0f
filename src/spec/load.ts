// devport.toml → Spec: read, parse, index positions, validate the structure,
// build the typed model, check across fields. All errors, positioned.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { fail, failure, ok, type Result } from '../errors/failure.js';
import { buildSpec, type Spec } from './model.js';
import { PositionIndex } from './positions.js';
import { SPEC_SCHEMA } from './schema.js';
import { Semantics, type ResolvedDep } from './semantics.js';
import { buildTree, type TreeNode } from './tree.js';
import { Validator } from './validate.js';

export interface LoadedSpec {
  spec: Spec;
  tree: TreeNode[];
  /** Resolved depends_on per node key. */
  deps: Map<string, ResolvedDep[]>;
  /** The validated TOML tree, for naming places in later errors. */
  raw: Record<string, unknown>;
}

export function loadSpecText(file: string, text: string): Result<LoadedSpec> {
  const positions = new PositionIndex(file, text);
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err: unknown) {
    if (!(err instanceof TomlError)) throw err;
    const message = err.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'invalid TOML';
    return fail(
      failure('SPEC_INVALID', `invalid TOML: ${message}`, {
        hint: 'check the TOML syntax at the caret: strings need quotes, lists look like ["a", "b"] (https://toml.io)',
        location: positions.locateLineCol(err.line, err.column),
      }),
    );
  }
  const validator = new Validator(raw, positions);
  const cleaned = validator.run(SPEC_SCHEMA);
  const spec = buildSpec(cleaned, file, path.dirname(file), positions);
  const tree = buildTree(spec.services);
  const semantics = new Semantics(spec, tree, cleaned);
  semantics.run();
  const failures = [...validator.failures, ...semantics.failures];
  failures.sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0));
  if (failures.length > 0) return fail(...failures);
  return ok({ spec, tree, deps: semantics.deps, raw: cleaned });
}

export function loadSpec(file: string): Result<LoadedSpec> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    return fail(failure('SPEC_NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
  }
  return loadSpecText(file, text);
}
