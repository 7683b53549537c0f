// Which compose CLI `up` would use: `docker compose` (v2), else
// `docker-compose` (v1) (src/compose/cli.ts). Optional, as Docker is.

import { detectComposeCli } from '../compose/cli.js';
import { lacking, ok, type Check } from './check.js';
import type { DoctorContext } from './context.js';
import { composeNeeds } from './docker.js';

export async function checkCompose(ctx: DoctorContext): Promise<Check> {
  const { needed, why } = composeNeeds(ctx);
  const cli = await detectComposeCli(ctx.env, { version: true });
  if (!cli) {
    return lacking(
      'compose',
      needed,
      `neither \`docker compose\` (the v2 plugin) nor \`docker-compose\` (v1) is on PATH; ${why}`,
      'install the docker compose plugin (v2; Debian: docker-compose-plugin) or docker-compose (v1; Debian: docker-compose)',
    );
  }
  const name = cli.kind === 'v2' ? 'docker compose' : 'docker-compose';
  return ok('compose', `${name} ${cli.version ?? '(version unknown)'} (${cli.kind}, ${cli.argv[0] ?? name})`);
}
