// The build: one standalone bundle per verb (dist/cli/verbs/*.js), a small
// dispatcher (dist/cli/devport.js), and separate bundles for what only some
// runs need (dist/cli/lazy/*.js: the proxy with undici, the `up` runtime,
// commander, the standalone planner). Native addons stay external.
//
// CommonJS (dist/cli/package.json says so), the source's import() turned into
// require(): Node 20 starts a CommonJS main without setting up its ESM loader,
// and each import() through that loader cost ~2 ms more: ~5 ms of every ls,
// down and up (bench/RESULTS.md). Why not esbuild's code splitting: it gave
// every verb 7-13 chunks to resolve and link. One file per verb is measured in
// bench/RESULTS.md (cli-start, lifecycle). tsc only type-checks (npm run typecheck).
import { build } from 'esbuild';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });

const verbs = ['up', 'down', 'ls', 'ps', 'start', 'stop', 'run', 'env', 'logs', 'restart', 'attach', 'supervise', 'doctor', 'completion', 'init', 'requests', 'dashboard'];

/** Imports that cross a bundle boundary: importer's specifier → the bundle it loads at run time. */
const boundaries = [
  ...verbs.map((v) => ({ from: /cli[\\/]devport\.ts$/, spec: `../src/commands/${v}.js`, to: `./verbs/${v}.js` })),
  { from: /cli[\\/]devport\.ts$/, spec: 'commander', to: './lazy/commander.js' },
  { from: /commands[\\/]up\.ts$/, spec: '../stack/run-up.js', to: '../lazy/run-up.js' },
  { from: /commands[\\/]supervise\.ts$/, spec: '../proxy/service.js', to: '../lazy/proxy-service.js' },
  { from: /commands[\\/]supervise\.ts$/, spec: '../compose/service.js', to: '../lazy/compose-service.js' },
  { from: /commands[\\/]supervise\.ts$/, spec: '../dashboard/service.js', to: '../lazy/dashboard-service.js' },
  { from: /commands[\\/]supervise\.ts$/, spec: '../plan/plan.js', to: '../lazy/plan.js' },
  { from: /commands[\\/]supervise\.ts$/, spec: './load-spec.js', to: '../lazy/load-spec.js' },
  // Only sidecars that watch files load the watcher (@parcel/watcher, picomatch, tinyglobby).
  { from: /supervisor[\\/]process-supervisor\.ts$/, spec: './watch.js', to: '../lazy/watch.js' },
];

/** `rebase` maps a boundary's target for a bundle that sits elsewhere (sidecar.cjs is in dist/cli/, not dist/cli/verbs/). */
const boundaryPlugin = (rebase = (to) => to) => ({
  name: 'devport-boundaries',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const hit = boundaries.find((x) => x.spec === args.path && x.from.test(args.importer));
      return hit ? { path: rebase(hit.to), external: true } : undefined;
    });
  },
});

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  supported: { 'dynamic-import': false },
  // Native addons must load from node_modules; everything else is bundled.
  external: ['fs-ext', '@lydell/node-pty', '@parcel/watcher'],
  // The source's import.meta.url: this bundle's own URL, as it was in ESM.
  banner: { js: "const __devportUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__devportUrl' },
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [boundaryPlugin()],
};

await build({ ...common, entryPoints: { devport: 'cli/devport.ts' }, outdir: 'dist/cli' });
// The sidecar's own entry, as `up` starts it (no dispatcher); the lazy bundles it may load
// (proxy, compose, dashboard, watch) through require() as well.
await build({
  ...common,
  entryPoints: { sidecar: 'cli/sidecar.ts' },
  outExtension: { '.js': '.cjs' },
  outdir: 'dist/cli',
  plugins: [boundaryPlugin((to) => to.replace(/^\.\.\//, './'))],
});
await build({ ...common, entryPoints: Object.fromEntries(verbs.map((v) => [v, `src/commands/${v}.ts`])), outdir: 'dist/cli/verbs' });
await build({
  ...common,
  entryPoints: {
    'run-up': 'src/stack/run-up.ts',
    'proxy-service': 'src/proxy/service.ts',
    'compose-service': 'src/compose/service.ts',
    'dashboard-service': 'src/dashboard/service.ts',
    plan: 'src/plan/plan.ts',
    'load-spec': 'src/commands/load-spec.ts',
    watch: 'src/supervisor/watch.ts',
    commander: 'node_modules/commander/index.js',
  },
  outdir: 'dist/cli/lazy',
});
// The dashboard's page: a browser bundle of its own (web/), served by the dashboard from dist/web/.
await build({
  entryPoints: { dashboard: 'web/main.ts' },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: 'dist/web',
  minify: true,
  logLevel: 'warning',
  legalComments: 'none',
});
chmodSync(`${root}dist/cli/devport.js`, 0o755);
// The repo is "type": "module"; the bundles under dist/cli are CommonJS.
writeFileSync(`${root}dist/cli/package.json`, JSON.stringify({ type: 'commonjs' }) + '\n');
