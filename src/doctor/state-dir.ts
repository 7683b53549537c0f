// .devport/ of the project: devport's own, and nothing in it that devport
// cannot trust (a symlink, another user's dir, a forged state.json), found as
// `ls` finds it (src/state/inventory.ts `problem`).

import path from 'node:path';
import { untrustedDir } from '../state/dirs.js';
import { inventory } from '../state/inventory.js';
import { fail, ok, type Check } from './check.js';
import type { DoctorContext } from './context.js';

export function checkStateDir(ctx: DoctorContext): Check {
  const dir = ctx.stateDir;
  if (dir === undefined) return ok('state-dir', 'no spec, so no .devport/ to check');
  const shown = path.relative(ctx.cwd, dir) || dir;
  const why = untrustedDir(dir);
  if (why === 'cannot be read (ENOENT)') return ok('state-dir', `${shown} does not exist yet (made by the first \`devport up\`)`);
  if (why !== undefined) return fail('state-dir', `${shown} ${why}: devport does not use it`, `remove it (\`rm -r ${JSON.stringify(dir)}\`); devport creates it again, private to you`);
  const entries = inventory(dir);
  const bad = entries.filter((e) => e.problem !== undefined);
  const alive = entries.filter((e) => e.alive).length;
  const counts = `${entries.length} service dir${entries.length === 1 ? '' : 's'}, ${alive} alive`;
  if (bad.length === 0) return ok('state-dir', `${shown}: ${counts}, nothing untrusted`);
  const [first] = bad;
  return fail(
    'state-dir',
    `${shown}: ${bad.length} untrusted entr${bad.length === 1 ? 'y' : 'ies'} (${counts}); ${first?.problem ?? ''}`,
    `remove ${bad.length === 1 ? 'it' : 'them'} (${bad.map((e) => `\`rm -r ${JSON.stringify(e.dir)}\``).slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}); \`devport ls\` lists each with its problem`,
  );
}
