// Longest-prefix matching on path-segment boundaries: "/api" matches "/api"
// and "/api/x", never "/apix". Every matching route, longest first, so a route
// that declines (a static miss, a 404 with fallthrough) hands on to the next.

import type { PlanRoute } from '../plan/types.js';

export interface Route {
  /** The prefix without a trailing slash ("" for the root route). */
  base: string;
  spec: PlanRoute;
  /** For logs and error pages. */
  label: string;
}

export function compileRoutes(routes: readonly PlanRoute[]): Route[] {
  return routes
    .map((spec) => {
      const base = spec.prefix.replace(/\/+$/, '');
      const label = spec.name ?? (spec.type === 'exec' ? spec.key : spec.prefix);
      return { base, spec, label };
    })
    .sort((a, b) => b.base.length - a.base.length);
}

/** Whether `path` (no query) is under `base` on a segment boundary. */
export function matches(base: string, path: string): boolean {
  if (base === '') return true;
  if (!path.startsWith(base)) return false;
  return path.length === base.length || path.charCodeAt(base.length) === 47 /* / */;
}

export function matchRoutes(routes: readonly Route[], path: string): Route[] {
  const out: Route[] = [];
  for (const r of routes) if (matches(r.base, path)) out.push(r);
  return out;
}

/** The path the upstream sees: the prefix removed (leaving a leading "/"), the query kept. */
export function upstreamPath(route: Route, path: string, query: string): string {
  if (!route.spec.stripPrefix || route.base === '') return path + query;
  const rest = path.slice(route.base.length);
  return (rest === '' ? '/' : rest) + query;
}

/** "/a/b?x=1" → ["/a/b", "?x=1"]. */
export function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}
