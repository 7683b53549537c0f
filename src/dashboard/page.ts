// The page: a small HTML shell and the browser bundle esbuild made from web/
// (dist/web/dashboard.js). Nothing is fetched from the network: the machine may be offline.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** dist/cli/{verbs,lazy}/*.js → dist/web/; src/dashboard/*.ts (tsx) → dist/web/ too. */
const CANDIDATES = ['../../web/dashboard.js', '../../dist/web/dashboard.js'];

let bundle: { js: Buffer; css: Buffer } | undefined;

export function assets(): { js: Buffer; css: Buffer } | undefined {
  if (bundle) return bundle;
  for (const rel of CANDIDATES) {
    try {
      const js = readFileSync(fileURLToPath(new URL(rel, import.meta.url)));
      let css = Buffer.alloc(0);
      try {
        css = readFileSync(fileURLToPath(new URL(rel.replace(/\.js$/, '.css'), import.meta.url)));
      } catch {
        /* no stylesheet */
      }
      bundle = { js, css };
      return bundle;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function html(title: string): string {
  const esc = title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc} · devport</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
</head>
<body>
<div id="app"><noscript>The devport dashboard needs JavaScript.</noscript></div>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
}

export const UNAUTHORIZED_PAGE = `<!doctype html><meta charset="utf-8"><title>devport dashboard</title>
<p>This dashboard needs its token: open the URL <code>devport</code> printed (<code>devport dashboard --url</code> prints it again).</p>
`;
