// @parcel/watcher: only hot reload (`watch`) needs it, so its absence fails
// the check only for a spec that watches something.

import { lacking, ok, type Check } from './check.js';
import { labelOf, loadAddon } from './addon.js';
import { specNodes, type DoctorContext } from './context.js';

/** The keys of the spec's nodes that set `watch`. */
function watchers(ctx: DoctorContext): string[] {
  return specNodes(ctx)
    .filter((n) => 'watch' in n.spec && Array.isArray(n.spec.watch) && n.spec.watch.length > 0)
    .map((n) => n.key);
}

export function checkWatcher(ctx: DoctorContext): Check {
  const loaded = loadAddon<unknown>('@parcel/watcher');
  if (loaded.ok) return ok('watcher', `${labelOf('@parcel/watcher', loaded.version)} loads: hot reload works (${loaded.where})`);
  const keys = watchers(ctx);
  const who = keys.length > 0 ? `; ${keys.map((k) => `"${k}"`).join(', ')} of this spec watch${keys.length === 1 ? 'es' : ''} files` : '';
  return lacking(
    'watcher',
    keys.length > 0,
    `@parcel/watcher does not load (${loaded.reason}): hot reload (\`watch\`) cannot work${who}`,
    'reinstall devport so @parcel/watcher gets its prebuilt binary for this platform (npm i -g devport, or npm ci in a clone)',
  );
}
