// Node.js against what package.json's `engines` asks for. Read at run time
// (doctor is no hot path): the bundle and the sources sit at different depths,
// so the nearest package.json named devport up from this module is ours.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, ok, warn, type Check } from './check.js';

/** `engines.node` of devport's own package.json, or undefined when it cannot be found. */
export function enginesRange(from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; engines?: { node?: unknown } };
      if (pkg.name === 'devport') return typeof pkg.engines?.node === 'string' ? pkg.engines.node : undefined;
    } catch {
      /* none here, or not JSON: keep walking */
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

const parts = (v: string): number[] => v.replace(/^v/, '').split('.').map((x) => Number.parseInt(x, 10) || 0);

/** a ≥ b, comparing major.minor.patch. */
export function versionAtLeast(a: string, b: string): boolean {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** The minimum of a `>=X.Y[.Z]` range (the only form devport's engines uses). */
export function minimumOf(range: string): string | undefined {
  return /^\s*>=\s*v?(\d+(?:\.\d+){0,2})\s*$/.exec(range)?.[1];
}

export function checkNode(version = process.version, range = enginesRange()): Check {
  if (range === undefined) return warn('node', `${version}; devport's package.json (engines.node) could not be read`, 'reinstall devport: its package.json is missing or damaged');
  const min = minimumOf(range);
  if (min === undefined) return warn('node', `${version}; cannot read engines.node "${range}"`, 'devport expects engines.node as ">=X.Y"; please report this');
  if (!versionAtLeast(version, min)) {
    return fail('node', `${version} is older than devport needs (${range})`, `install Node.js ${min} or later (nvm install ${min.split('.')[0] ?? min}, or your package manager's nodejs)`);
  }
  return ok('node', `${version} (devport needs ${range})`);
}
