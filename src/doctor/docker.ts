// The Docker engine and the docker CLI, for compose services: optional, so a
// warning, unless the spec has a compose service (then `up` would refuse).
// The same questions `up`'s preflight asks (src/compose/engine.ts).

import { checkEngine } from '../compose/engine.js';
import { which } from '../compose/exec.js';
import { lacking, ok, type Check } from './check.js';
import { specNodes, type DoctorContext } from './context.js';

/** Whether the spec has compose services, named for the detail. */
export function composeNeeds(ctx: DoctorContext): { needed: boolean; why: string } {
  const keys = specNodes(ctx).filter((n) => n.kind === 'compose').map((n) => `"${n.key}"`);
  if (keys.length === 0) return { needed: false, why: 'only compose services need it' };
  return { needed: true, why: `compose service${keys.length === 1 ? '' : 's'} ${keys.join(', ')} of this spec need${keys.length === 1 ? 's' : ''} it` };
}

export async function checkDocker(ctx: DoctorContext): Promise<Check> {
  const { needed, why } = composeNeeds(ctx);
  const docker = which('docker', ctx.env);
  if (!docker) return lacking('docker', needed, `the docker CLI is not on PATH; ${why}`, 'install Docker (Debian: docker.io, or docker-ce and docker-ce-cli)');
  const engine = await checkEngine(ctx.env);
  if (!engine.ok) return lacking('docker', needed, `${engine.reason}; ${why}`, engine.hint);
  return ok('docker', `engine ${engine.version} (API ${engine.api}) at ${engine.endpoint}`);
}
