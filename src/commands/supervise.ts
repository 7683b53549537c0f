// `devport _supervise --key KEY [--plan FILE]`: the sidecar (hidden verb).

import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SIDECAR_LOG } from '../state/dirs.js';
import { unwrap, UserError } from '../errors/failure.js';
import type { Plan } from '../plan/types.js';
import { runSidecar, type Service, type Sidecar } from '../supervisor/sidecar.js';
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
    const [{ makePlan }, { loadSpecOrThrow }] = await Promise.all([import('../plan/plan.js'), import('./load-spec.js')]);
    plan = unwrap(await makePlan(loadSpecOrThrow({ file: opts.file, cwd: process.cwd() }), { env: process.env }));
  }
  try {
    const code = await runSidecar(plan, opts.key, makeService);
    // Done once the lock is released: node-pty can hold its pty stream open for
    // a second after the child is gone, and nothing here needs to wait for that.
    process.exit(code);
  } catch (err: unknown) {
    // In a tmux pane that is about to close, stderr is lost: keep the reason beside the state.
    try {
        const text = UserError.is(err) ? err.failures.map((f) => `error[${f.code}]: ${f.message}`).join('\n') : String((err as Error).stack ?? err);
      mkdirSync(path.join(plan.stateDir, opts.key), { recursive: true });
      appendFileSync(path.join(plan.stateDir, opts.key, SIDECAR_LOG), `${new Date().toISOString()} ${text}\n`);
    } catch {
      /* nowhere to write */
    }
    throw err;
  }
}

async function makeService(sc: Sidecar): Promise<Service> {
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
}
