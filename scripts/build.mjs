// The build: one ESM bundle per verb (code-split), native addons left external.
// Bundling halves devport's start-up over the floor (bench/cli-start); tsc
// only type-checks (npm run typecheck).
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['cli/devport.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons must load from node_modules; the rest is bundled.
  external: ['fs-ext', '@lydell/node-pty', '@parcel/watcher'],
  // Bundled CommonJS dependencies call require().
  banner: { js: "import { createRequire as __devportRequire } from 'node:module'; const require = __devportRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'none',
});
chmodSync(new URL('../dist/cli/devport.js', import.meta.url), 0o755);
