// devport.toml → Spec: read, parse, index positions, validate the structure,
// build the typed model, check across fields. All errors, positioned.

import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { fail, failure, ok, type Failure, type Result, type SourceLocation } from '../errors/failure.js';
import { readRegularFile } from '../util/read-file.js';
import { formatBytes, MAX_ENTRIES, MAX_NESTING, MAX_SPEC_BYTES } from './limits.js';
import { buildSpec, type Spec } from './model.js';
import { PositionIndex, type Path } from './positions.js';
import { SPEC_SCHEMA } from './schema.js';
import { Semantics, type ResolvedDep } from './semantics.js';
import { buildTree, type TreeNode } from './tree.js';
import { isPlainTable, Validator } from './validate.js';

export interface LoadedSpec {
  spec: Spec;
  tree: TreeNode[];
  /** Resolved depends_on per node key. */
  deps: Map<string, ResolvedDep[]>;
  /** The validated TOML tree, for naming places in later errors. */
  raw: Record<string, unknown>;
}

const TOO_DEEP_HINT = 'a devport.toml needs a few levels (service → routes → health); flatten this value';

function tooDeep(positions: PositionIndex, at: SourceLocation | undefined): Failure {
  return failure('SPEC_INVALID', `the spec is nested too deep: more than ${MAX_NESTING} levels of tables, lists and dotted keys`, {
    hint: TOO_DEEP_HINT,
    location: at ?? positions.locate(positions.tooDeep),
  });
}

/** More than MAX_ENTRIES services and routes: refused before anything else is checked. */
function tooManyEntries(raw: unknown, positions: PositionIndex): Failure | undefined {
  if (!isPlainTable(raw) || !Array.isArray(raw.service)) return undefined;
  let count = 0;
  let first: Path | undefined;
  const seen = (p: Path): void => {
    count++;
    if (count === MAX_ENTRIES + 1) first = p;
  };
  raw.service.forEach((svc: unknown, i) => {
    seen(['service', i]);
    const routes = isPlainTable(svc) ? svc.routes : undefined;
    if (Array.isArray(routes)) routes.forEach((_r: unknown, j) => seen(['service', i, 'routes', j]));
  });
  if (count <= MAX_ENTRIES || !first) return undefined;
  return failure('SPEC_INVALID', `the spec has ${count} services and routes: at most ${MAX_ENTRIES} are allowed`, {
    hint: `each service is a sidecar process and a tmux window; split the stack into several devport.toml files of at most ${MAX_ENTRIES} services and routes`,
    location: positions.locate(positions.tableSpan(first)),
  });
}

export function loadSpecText(file: string, text: string): Result<LoadedSpec> {
  const positions = new PositionIndex(file, text);
  let raw: unknown;
  try {
    raw = parse(text, { maxDepth: MAX_NESTING });
  } catch (err: unknown) {
    // A stack overflow in the parser: the scanner has seen where it nests too deep.
    if (err instanceof RangeError) return fail(tooDeep(positions, undefined));
    if (!(err instanceof TomlError)) throw err;
    const location = positions.locateLineCol(err.line, err.column);
    if (/excessively nested/.test(err.message)) return fail(tooDeep(positions, location));
    const message = err.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'invalid TOML';
    return fail(
      failure('SPEC_INVALID', `invalid TOML: ${message}`, {
        hint: 'check the TOML syntax at the caret: strings need quotes, lists look like ["a", "b"] (https://toml.io)',
        location,
      }),
    );
  }
  // Dotted keys and [a.b.c] headers nest without the parser counting them.
  if (positions.tooDeep) return fail(tooDeep(positions, undefined));
  const crowd = tooManyEntries(raw, positions);
  if (crowd) return fail(crowd);
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

/**
 * Reads the spec safely: only a regular file (a FIFO cannot hang open(), a
 * device cannot fill memory), at most MAX_SPEC_BYTES.
 */
export function loadSpec(file: string): Result<LoadedSpec> {
  const read = readRegularFile(file, { maxBytes: MAX_SPEC_BYTES });
  if (!read.ok) {
    switch (read.reason) {
      case 'missing':
        return fail(failure('SPEC_NOT_FOUND', `${file} ${read.detail}`, { hint: 'pass the path of a devport.toml, or create one (see .devport.example.toml)' }));
      case 'too-large':
        return fail(
          failure('SPEC_INVALID', `${file} ${read.detail}`, {
            hint: `a devport.toml is read up to ${formatBytes(MAX_SPEC_BYTES)}; is this the right file?`,
          }),
        );
      case 'not-a-file':
      case 'symlink':
        return fail(failure('SPEC_INVALID', `${file} ${read.detail}`, { hint: 'the spec must be a regular file: pass the path of a devport.toml' }));
      default:
        return fail(failure('SPEC_NOT_FOUND', `${file} ${read.detail}`, { hint: 'check its permissions, or pass another devport.toml with --file PATH' }));
    }
  }
  return loadSpecText(file, read.text);
}
