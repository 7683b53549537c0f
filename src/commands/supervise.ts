// `devport _supervise --key KEY [--plan FILE]`: the sidecar (hidden verb).

import { readFileSync } from 'node:fs';
import { unwrap } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import { runSidecar, type Service } from '../supervisor/sidecar.js';
import { ProcessSupervisor } from '../supervisor/process-supervisor.js';

export interface SuperviseOptions {
  key: string;
  plan?: string;
  file?: string;
}

export async function supervise(opts: SuperviseOptions): Promise<number> {
  // `up` hands over its plan (ports chosen once, for the whole stack); standalone, plan from the spec.
  // Sidecars stay lean: the TOML parser and planner load only in standalone use.
  let plan: Plan;
  if (opts.plan) plan = JSON.parse(readFileSync(opts.plan, 'utf8')) as Plan;
  else {
    const [{ makePlan }, { loadSpecOrThrow }] = await Promise.all([import('../plan/plan.js'), import('./common.js')]);
    plan = unwrap(await makePlan(loadSpecOrThrow({ file: opts.file, cwd: process.cwd() }), { env: process.env }));
  }
  return runSidecar(plan, opts.key, async (sc): Promise<Service> => {
    switch (sc.node.kind) {
      case 'proxy': {
        const { ProxyService } = await import('../proxy/service.js');
        return new ProxyService(sc);
      }
      case 'compose': {
        const { ComposeService } = await import('../compose/service.js');
        return new ComposeService(sc);
      }
      case 'exec':
      case 'task':
        return new ProcessSupervisor(sc);
      default: {
        const never: never = sc.node.kind;
        return never;
      }
    }
  });
}
