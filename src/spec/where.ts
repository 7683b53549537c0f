// Human names for places in the spec: `in [[service]] "api"`, `"port" in [[service.routes]] "docs" of "web"`.

import type { Path } from './positions.js';

function at(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function label(root: unknown, path: Path, fallback: string): string {
  const name = (at(root, path) as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? `"${name}"` : fallback;
}

/** Names the table at `path`, e.g. `in [[service]] "api"`; `at the top level` for the root. */
export function where(path: Path, root: unknown): string {
  const [s0, i, s2, j, s4] = path;
  if (path.length === 0) return 'at the top level';
  if (s0 !== 'service') return `in [${path.join('.')}]`;
  if (typeof i !== 'number') return 'in [[service]]';
  const svc = label(root, ['service', i], `#${i + 1}`);
  if (path.length === 2) return `in [[service]] ${svc}`;
  if (s2 === 'routes' && typeof j === 'number') {
    const route = label(root, ['service', i, 'routes', j], `#${j + 1}`);
    if (path.length === 4) return `in [[service.routes]] ${route} of ${svc}`;
    if (s4 === 'health' && path.length === 5) return `in [service.routes.health] of ${svc} route ${route}`;
    return `in ${path.slice(4).join('.')} of ${svc} route ${route}`;
  }
  if (s2 === 'health' && path.length === 3) return `in [service.health] of ${svc}`;
  return `in ${path.slice(2).join('.')} of ${svc}`;
}

/** Names a field: `"command" in [[service]] "api"`, `port_range[1] at the top level`. */
export function fieldRef(path: Path, root: unknown): string {
  let k = path.length - 1;
  while (k > 0 && typeof path[k] === 'number') k--;
  const field = String(path[k] ?? '');
  const indexes = path.slice(k + 1).map((n) => `[${String(n)}]`).join('');
  return `"${field}${indexes}" ${where(path.slice(0, k), root)}`;
}
