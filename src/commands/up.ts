// `devport up`: plan, then (unless --dry-run) start the stack.

import path from 'node:path';
import { JsonLogger } from '../events/json-logger.js';
import { stackClaims } from '../stack/claims.js';
import { unwrap } from '../errors/failure.js';
import { makePlan } from '../plan/plan.js';
import { planEventNodes, renderPlanHuman } from '../plan/render.js';
import { colorEnabled } from '../util/color.js';
import { parseDurationFlag, splitList } from './common.js';
import { loadSpecOrThrow } from './load-spec.js';

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
  // Ports this stack already holds stay its own (a dry run beside a running stack shows the live ones).
  const claimed = stackClaims(path.join(loaded.spec.dir, '.devport'));
  const plan = unwrap(await makePlan(loaded, { env: process.env, host: opts.host, only: splitList(opts.only), claimed }));
  if (opts.dryRun) {
    if (opts.json) {
      new JsonLogger().log({
        event: 'plan',
        spec: plan.spec,
        tmux_session: plan.tmuxSession,
        isolation_id: plan.isolationId,
        waves: plan.waves,
        services: planEventNodes(plan),
        stack_env_names: Object.keys(plan.stackEnv),
        dry_run: true,
      });
    } else {
      process.stdout.write(renderPlanHuman(plan, { color: colorEnabled(process.stdout), cwd }));
    }
    return 0;
  }
  const { runUp } = await import('../stack/run-up.js');
  return runUp(plan, {
    json: opts.json === true,
    daemon: opts.daemon === true,
    tmux: opts.tmux,
    waitTimeoutMs: opts.waitTimeout === undefined ? undefined : parseDurationFlag('--wait-timeout', opts.waitTimeout),
    keyboard: opts.keyboard !== false && !opts.daemon,
    keepOnFailure: opts.keepOnFailure === true,
  });
}
