// "devport up: stack is healthy" and a row per service, the proxy first.

import path from 'node:path';
import { dashboardUrl } from '../dashboard/url.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { palette } from '../util/color.js';

export function summaryOrder(plan: Plan): PlanNode[] {
  const order = plan.waves.flat();
  const rank = (n: PlanNode) => (n.kind === 'dashboard' ? -1 : n.kind === 'proxy' ? 0 : n.parent ? 1 : 2);
  return [...plan.nodes].sort((a, b) => rank(a) - rank(b) || order.indexOf(a.key) - order.indexOf(b.key));
}

function where(n: PlanNode): string {
  if (n.kind === 'task') return 'completed';
  if (n.url) return n.url;
  return 'running (no port)';
}

export interface SummaryOptions {
  color: boolean;
  elapsedMs: number;
  /** The footer: what to run next (daemon, or a reconcile that exits), or the foreground's keys. */
  daemon: boolean;
  tmux: boolean;
  /**
   * Services a reconcile left alone that are not ready (a task that failed, a service that
   * exited): shown as they are, never as healthy.
   */
  notReady?: ReadonlyMap<string, string>;
}

export function renderSummary(plan: Plan, opts: SummaryOptions): string {
  const c = palette(opts.color);
  const nodes = summaryOrder(plan);
  const width = Math.max(...nodes.map((n) => n.key.length));
  const notReady = opts.notReady ?? new Map<string, string>();
  const head = notReady.size === 0 ? c.green(c.bold('devport up: stack is healthy')) : c.yellow(c.bold(`devport up: ${notReady.size} of ${nodes.length} not ready`));
  const lines = [`${head} ${c.dim(`in ${(opts.elapsedMs / 1000).toFixed(1)} s`)}`];
  for (const n of nodes) {
    const role = n.kind === 'proxy' ? c.dim('  proxy') : n.kind === 'dashboard' ? c.dim('  dashboard') : n.parent ? c.dim(`  behind ${n.parent}`) : '';
    const state = notReady.get(n.key);
    // The dashboard's URL with its token (from its 0600 file): this summary goes to the owner's terminal only.
    const url = n.kind === 'dashboard' ? (dashboardUrl(path.join(plan.stateDir, n.key)) ?? where(n)) : where(n);
    const shown = state !== undefined ? c.yellow(`${state} (\`devport logs ${n.key}\`, \`devport restart ${n.key}\`)`) : n.url ? c.cyan(url) : c.dim(url);
    lines.push(`  ${c.bold(n.key.padEnd(width))}  ${shown}${role}`);
  }
  if (opts.daemon) {
    lines.push(c.dim(`  devport ls · devport logs -f · ${opts.tmux ? `devport attach (tmux session ${plan.tmuxSession}) · ` : ''}devport down`));
  } else {
    lines.push(c.dim('  following the logs: Ctrl-C stops the stack · press h for keys'));
  }
  return lines.join('\n') + '\n';
}

/** One line per `up --daemon`, appended to .devport/up.log. */
export function upLogLine(plan: Plan, elapsedMs: number): string {
  const services = summaryOrder(plan).map((n) => `${n.key}=${n.url ?? (n.kind === 'task' ? 'completed' : 'running')}`);
  return `${new Date().toISOString()} up healthy in ${elapsedMs} ms run=${plan.runId ?? ''} ${services.join(' ')}\n`;
}
