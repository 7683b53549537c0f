// Static routes: serve-static for index.html, ETag, Range, MIME types and
// directory redirects (which keep the prefix: serve-static redirects from
// req.originalUrl). A miss declines, so a shorter route (the app) gets it.

import type http from 'node:http';
import path from 'node:path';

export type StaticOutcome = 'served' | 'declined' | 'forbidden';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void;

const handlers = new Map<string, Handler>();

/** serve-static (with its MIME table, ~4 MB of heap) loads at the first static request, not in every proxy. */
let serveStatic: Promise<typeof import('serve-static')> | undefined;

async function handlerFor(root: string): Promise<Handler> {
  let h = handlers.get(root);
  if (!h) {
    serveStatic ??= import('serve-static').then((m) => m.default);
    h = (await serveStatic)(root, { index: ['index.html'], fallthrough: true, redirect: true, dotfiles: 'ignore' }) as unknown as Handler;
    handlers.set(root, h);
  }
  return h;
}

/** A path that would climb out of the root, after decoding. */
export function climbsOut(rel: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return true;
  }
  if (decoded.includes('\0')) return true;
  return decoded.split(/[\\/]/).includes('..');
}

/** Whether an SPA should answer this path with index.html: a page, not a missing asset. */
function looksLikePage(req: http.IncomingMessage, rel: string): boolean {
  const last = rel.split('/').pop() ?? '';
  return !path.extname(last) || (typeof req.headers.accept === 'string' && req.headers.accept.includes('text/html'));
}

/**
 * Serves `rel` (the path under the route's prefix, with its query) from `root`.
 * The prefix always maps to the root: "/docs/a.html" under "/docs" is root/a.html.
 */
export function serveFile(req: http.IncomingMessage, res: http.ServerResponse, root: string, rel: string, spa: boolean): Promise<StaticOutcome> {
  const [relPath = '/'] = rel.split('?', 1);
  if (climbsOut(relPath)) return Promise.resolve('forbidden');
  const r = req as http.IncomingMessage & { originalUrl?: string };
  const original = req.url;
  r.originalUrl = original;
  req.url = rel;
  const serve = async (): Promise<StaticOutcome> => {
    const handler = await handlerFor(root);
    return new Promise((resolve) => {
      handler(req, res, () => resolve('declined'));
      res.once('finish', () => resolve('served'));
      res.once('close', () => resolve('served'));
    });
  };
  return serve()
    .then(async (o) => {
      if (o !== 'declined' || !spa || (req.method !== 'GET' && req.method !== 'HEAD') || !looksLikePage(req, relPath)) return o;
      req.url = '/index.html';
      return serve();
    })
    .finally(() => {
      req.url = original;
    });
}
