// `devport up`: plan, then (unless --dry-run) start the stack.

import { JsonLogger } from '../events/json-logger.js';
import { unwrap } from '../errors/failure.js';
import { makePlan } from '../plan/plan.js';
import { planEventNodes, renderPlanHuman } from '../plan/render.js';
import { colorEnabled } from '../util/color.js';
import { loadSpecOrThrow, splitList } from './common.js';

export interface UpOptions {
  file?: string;
  spec?: string;
  json?: boolean;
  dryRun?: boolean;
  daemon?: boolean;
  tmux?: boolean;
  host?: string;
  only?: string[];
  waitTimeout?: string;
  keyboard?: boolean;
  keepOnFailure?: boolean;
}

export async function up(opts: UpOptions): Promise<number> {
  const cwd = process.cwd();
  const loaded = loadSpecOrThrow({ file: opts.file, spec: opts.spec, cwd });
  const plan = unwrap(await makePlan(loaded, { env: process.env, host: opts.host, only: splitList(opts.only) }));
  if (opts.dryRun) {
    if (opts.json) {
      new JsonLogger().log({
        event: 'plan',
        spec: plan.spec,
        tmux_session: plan.tmuxSession,
        isolation_id: plan.isolationId,
        waves: plan.waves,
        services: planEventNodes(plan),
        dry_run: true,
      });
    } else {
      process.stdout.write(renderPlanHuman(plan, { color: colorEnabled(process.stdout), cwd }));
    }
    return 0;
  }
  throw new Error('devport up is not implemented yet');
}
