// `devport _supervise --key KEY [--plan FILE]`: the sidecar (hidden verb).

import { appendFileSync, closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SIDECAR_LOG } from '../state/dirs.js';
import { unwrap, UserError } from '../errors/failure.js';
import { revivePlan } from '../plan/child-env.js';
import type { Plan, StoredPlan } from '../plan/types.js';
import { runSidecar, type Service, type Sidecar } from '../supervisor/sidecar.js';
import { ProcessSupervisor } from '../supervisor/process-supervisor.js';
import { startMark } from '../util/start-trace.js';

export interface SuperviseOptions {
  key: string;
  plan?: string;
  file?: string;
}

export async function supervise(opts: SuperviseOptions): Promise<number> {
  // `up` hands over its plan (ports chosen once, for the whole stack); standalone, plan from the spec.
  // Sidecars stay lean: the TOML parser and planner load only in standalone use.
  startMark('supervise-bundle-evaluated');
  let plan: Plan;
  let stillWanted: (() => boolean) | undefined;
  if (opts.plan) {
    const planFile = opts.plan;
    let fd: number;
    try {
      fd = openSync(planFile, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      process.stderr.write('devport: the `up` that started this sidecar gave up before it began; nothing to do\n');
      return 0;
    }
    const ino = fstatSync(fd).ino;
    try {
      plan = revivePlan(JSON.parse(readFileSync(fd, 'utf8')) as StoredPlan);
    } finally {
      closeSync(fd);
    }
    // An `up` that gives up removes its plan before it stops what it started: a sidecar that
    // takes its lock only after that must not start anything (nobody would stop it).
    stillWanted = () => statSync(planFile, { throwIfNoEntry: false })?.ino === ino;
  } else {
    const [{ makePlan }, { loadSpecOrThrow }] = await Promise.all([import('../plan/plan.js'), import('./load-spec.js')]);
    plan = unwrap(await makePlan(loadSpecOrThrow({ file: opts.file, cwd: process.cwd() }), { env: process.env }));
  }
  startMark('plan-read');
  try {
    const code = await runSidecar(plan, opts.key, makeService, stillWanted ? { stillWanted } : {});
    // Done once the lock is released: node-pty can hold its pty stream open for
    // a second after the child is gone, and nothing here needs to wait for that.
    startMark('sidecar-exiting');
    process.exit(code);
  } catch (err: unknown) {
    // In a tmux pane that is about to close, stderr is lost: keep the reason beside the state.
    try {
      const text = UserError.is(err) ? err.failures.map((f) => `error[${f.code}]: ${f.message}`).join('\n') : String((err as Error).stack ?? err);
      const fd = openSync(path.join(plan.stateDir, opts.key, SIDECAR_LOG), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      appendFileSync(fd, `${new Date().toISOString()} ${text}\n`);
      closeSync(fd);
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
    case 'dashboard': {
      const { DashboardService } = await import('../dashboard/service.js');
      return new DashboardService(sc);
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
