// Room in the port range (the spec's, or the default): how many of its ports
// are bound (src/plan/listening.ts, as allocation sees them). Ports this stack
// holds itself are its own, not taken.

import { portChecker } from '../plan/listening.js';
import { DEFAULTS } from '../spec/defaults.js';
import { stackClaims } from '../stack/claims.js';
import { fail, ok, type Check } from './check.js';
import { specNodes, type DoctorContext } from './context.js';

/** How many ports `up` would allocate in the range, as src/plan/plan.ts decides: compose nodes always (their `port` is the container's), others unless fixed or no_port. */
function allocated(ctx: DoctorContext): number {
  return specNodes(ctx).filter((n) => n.spec.type === 'compose' || ((n.spec.type === 'proxy' || !n.spec.noPort) && n.spec.port === undefined)).length;
}

const HINT = 'stop what holds ports in the range (`ss -ltnp` lists them), or set a wider or other port_range in devport.toml';

export async function checkPorts(ctx: DoctorContext): Promise<Check> {
  const [lo, hi] = ctx.spec.kind === 'valid' ? ctx.spec.loaded.spec.portRange : DEFAULTS.portRange;
  const which = ctx.spec.kind === 'valid' ? 'port_range' : 'the default port_range';
  const own = new Set(ctx.stateDir ? stackClaims(ctx.stateDir).values() : []);
  const checker = portChecker();
  let bound = 0;
  let ours = 0;
  for (let p = lo; p <= hi; p++) {
    if (!(await checker.inUse(p))) continue;
    if (own.has(p)) ours++;
    else bound++;
  }
  const size = hi - lo + 1;
  const free = size - bound;
  const detail = `${which} ${lo}-${hi}: ${free} of ${size} free${bound > 0 ? `, ${bound} bound by other processes` : ''}${ours > 0 ? `, ${ours} held by this stack` : ''}`;
  const needed = allocated(ctx);
  // `up` fails with PORT_IN_USE when the range runs out before every service has a port.
  if (free < Math.max(1, needed)) return fail('ports', needed > 0 ? `${detail}; the spec allocates ${needed}` : detail, HINT);
  return ok('ports', detail);
}
