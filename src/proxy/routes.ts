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

/** A segment that is "." (1) or ".." (2), "%2e" counting as a dot (RFC 3986 §2.3, §5.2.4). */
function dotSegment(s: string): 0 | 1 | 2 {
  if (s.length > 6) return 0;
  const d = s.includes('%') ? s.replace(/%2e/gi, '.') : s;
  return d === '.' ? 1 : d === '..' ? 2 : 0;
}

/**
 * Whether a segment becomes ".." for an upstream that decodes "%2f"/"%5c" (or
 * takes "\\" as a separator, or drops ";params") before normalising: "..%2fadmin".
 * No real path needs that, and it is how a request climbs out of its prefix.
 */
function hidesDotDot(s: string): boolean {
  if (!s.includes('..') && !/%2e/i.test(s)) return false;
  const d = s.replace(/%2e/gi, '.').replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
  return d.split(/[\\/]/).some((part) => part.replace(/;.*/, '') === '..');
}

/**
 * The path (no query) with its dot segments resolved, never above the root;
 * or null when a segment hides a ".." (answer 400). Encoded slashes stay
 * encoded: inside one segment, they never count as a boundary for matching.
 * Only a "/.", a ".." or a "%2e" can make a dot segment: other paths (nearly
 * all) are returned as they are, without a split.
 */
export function normalizePath(path: string): string | null {
  if (path.charCodeAt(0) !== 47 /* / */) return path;
  if (path.indexOf('/.') === -1 && path.indexOf('..') === -1 && (path.indexOf('%') === -1 || !/%2e/i.test(path))) return path;
  const segs = path.split('/');
  const out: string[] = [];
  let changed = false;
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i] as string;
    const dots = dotSegment(s);
    if (dots === 0) {
      if (hidesDotDot(s)) return null;
      out.push(s);
      continue;
    }
    changed = true;
    if (dots === 2) out.pop();
    // "/a/b/.." is "/a/": a trailing dot segment leaves its slash.
    if (i === segs.length - 1) out.push('');
  }
  return changed ? `/${out.join('/')}` : path;
}

/** "/a/b?x=1" → ["/a/b", "?x=1"]. */
export function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}
