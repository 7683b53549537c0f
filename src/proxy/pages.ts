// The proxy's own answers: 502 (the upstream is down: which route, which
// upstream, its state; never its output, which is private), 508 (a loop),
// 404 (no route), 400 (a path that would leave its route).
// HTML for browsers, plain text for everything else.

import type http from 'node:http';
import { stripAnsi } from '../util/color.js';

export interface Page {
  status: number;
  title: string;
  /** Lines of explanation. */
  lines: string[];
  /** A block shown as preformatted text (the output tail, for an authorized request only). */
  pre?: string;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

export function wantsHtml(req: http.IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

function html(p: Page): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${p.status} ${esc(p.title)} · devport</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.3rem; } code { background: #f2f2f2; padding: 0 .25rem; }
  pre { background: #111; color: #ddd; padding: 1rem; overflow-x: auto; font-size: 13px; }
  .dim { color: #777; }
</style></head>
<body>
<h1>${p.status} · ${esc(p.title)}</h1>
${p.lines.map((l) => `<p>${esc(l)}</p>`).join('\n')}
${p.pre !== undefined ? `<pre>${esc(stripAnsi(p.pre))}</pre>` : ''}
<p class="dim">devport proxy · this page reloads in 2 s</p>
<script>setTimeout(() => location.reload(), 2000)</script>
</body></html>
`;
}

function text(p: Page): string {
  return `${p.status} ${p.title}\n\n${p.lines.join('\n')}\n${p.pre !== undefined ? `\n${stripAnsi(p.pre)}\n` : ''}`;
}

export function sendPage(req: http.IncomingMessage, res: http.ServerResponse, p: Page): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const asHtml = wantsHtml(req);
  const body = asHtml ? html(p) : text(p);
  res.writeHead(p.status, {
    'content-type': asHtml ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-devport': 'proxy',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
