// Loading a native addon the way the sidecar does (createRequire from this
// bundle, so it resolves from devport's own node_modules), and where it is.

import { createRequire } from 'node:module';
import path from 'node:path';

export type Loaded<T> = { ok: true; module: T; where: string; version: string | undefined } | { ok: false; reason: string };

/** "name 1.2.3", or the name alone when its version is unknown. */
export const labelOf = (name: string, version: string | undefined): string => (version ? `${name} ${version}` : name);

/** The first line of the error: node's "Cannot find module …" carries a require stack below it. */
const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

export function loadAddon<T>(name: string): Loaded<T> {
  const require = createRequire(import.meta.url);
  let module: T;
  try {
    module = require(name) as T;
  } catch (err: unknown) {
    return { ok: false, reason: firstLine(err) };
  }
  let where = name;
  let version: string | undefined;
  try {
    const pkgFile = require.resolve(`${name}/package.json`);
    where = path.dirname(pkgFile);
    version = (require(pkgFile) as { version?: string }).version;
  } catch {
    /* a package that does not export its package.json: the name says enough */
  }
  return { ok: true, module, where, version };
}
