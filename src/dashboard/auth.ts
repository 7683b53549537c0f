// Who may talk to a dashboard: it can restart and stop a developer's stack,
// so a page on another site (CSRF), another host name pointing at 127.0.0.1
// (DNS rebinding) or another local user must not. One random token per
// dashboard; the URL carries it once, then an HttpOnly SameSite=Strict cookie.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'devport_dashboard';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A Host header naming a loopback address on this dashboard's port (a rebound DNS name never does). */
export function loopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!m || !m[1] || !LOOPBACK.has(m[1])) return false;
  return m[2] === undefined ? port === 80 : Number(m[2]) === port;
}

/** An Origin that is this dashboard itself (a browser sends it on every POST). */
export function ownOrigin(origin: string | undefined, port: number): boolean {
  if (!origin) return false;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  return u.protocol === 'http:' && u.pathname === '/' && loopbackHost(u.host, port);
}

export function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

/** How a request proved it holds the token, if it did. */
export function credential(req: IncomingMessage, token: string): 'bearer' | 'cookie' | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return same(bearer, token) ? 'bearer' : undefined;
  const c = cookieToken(req);
  return c !== undefined && same(c, token) ? 'cookie' : undefined;
}

export function tokenMatches(given: string | null, token: string): boolean {
  return given !== null && same(given, token);
}

export function setCookie(token: string): string {
  return `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

/**
 * The checks every request passes before anything else: Host always; the token on /api;
 * on a POST an Origin that is this dashboard — a foreign one always fails, a missing one
 * only passes with a Bearer token (curl sends none; a browser always sends one, and a
 * cross-site page cannot set Authorization without a preflight this server never grants).
 */
export function check(req: IncomingMessage, token: string, port: number, pathname: string): Verdict {
  if (!loopbackHost(req.headers.host, port)) return { ok: false, status: 403, message: 'Host is not a loopback name of this dashboard' };
  const post = req.method !== 'GET' && req.method !== 'HEAD';
  const origin = req.headers.origin;
  if (post && origin !== undefined && !ownOrigin(origin, port)) return { ok: false, status: 403, message: 'Origin is not this dashboard' };
  if (!pathname.startsWith('/api/')) return { ok: true };
  const how = credential(req, token);
  if (how === undefined) return { ok: false, status: 401, message: 'a token is needed: open the URL devport printed' };
  if (post && origin === undefined && how !== 'bearer') return { ok: false, status: 403, message: 'a POST needs the Origin header of this dashboard' };
  return { ok: true };
}
