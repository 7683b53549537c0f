// The plan for people (--dry-run table) and for programs (the `plan` event).

import path from 'node:path';
import type { PlanEventNode } from '../events/types.js';
import { palette } from '../util/color.js';
import type { Plan, PlanNode } from './types.js';

const COMMON_ENV = ['PORT', 'HOST', 'DEVPORT_ID', 'DEVPORT_KEY', 'DEVPORT_PROJECT_DIR'];

function healthLabel(n: PlanNode): string {
  const h = n.health;
  switch (h.type) {
    case 'http':
      return `http ${h.url ?? ''}`;
    case 'tcp':
      return `tcp :${n.port ?? '?'}`;
    case 'cmd':
      return `cmd ${(h.command ?? []).join(' ')}`;
    case 'process':
      return 'process';
    case 'none':
      return n.kind === 'task' ? 'exit 0' : 'none';
    default: {
      const never: never = h.type;
      return never;
    }
  }
}

function routeTarget(r: NonNullable<PlanNode['proxy']>['routes'][number]): string {
  switch (r.type) {
    case 'exec':
      return r.key;
    case 'static':
      return `static ${r.root}${r.spa ? ' (spa)' : ''}`;
    case 'http':
      return r.url;
    default: {
      const never: never = r;
      return never;
    }
  }
}

export function waveOf(plan: Plan): Map<string, number> {
  return new Map(plan.waves.flatMap((w, i) => w.map((k) => [k, i + 1] as const)));
}

/** `["node", "a b"]` → `node 'a b'`: what a shell user would type. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function table(rows: string[][], widthOf: (s: string) => number): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, widthOf(c))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - widthOf(c)))).join('  ').trimEnd());
}

export function renderPlanHuman(plan: Plan, opts: { color: boolean; cwd: string }): string {
  const c = palette(opts.color);
  const waves = waveOf(plan);
  const rel = (p: string) => path.relative(opts.cwd, p) || '.';
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const out: string[] = [];
  out.push(`${c.bold('devport plan')} ${c.dim('(dry run: nothing was started)')}`);
  out.push(`  spec          ${rel(plan.spec)}`);
  out.push(`  tmux session  ${plan.tmuxSession}${plan.isolationId ? `   isolation ${plan.isolationId}` : ''}`);
  out.push('');
  const rows = [['WAVE', 'SERVICE', 'TYPE', 'PORT', 'URL', 'HEALTH', 'DEPENDS ON'].map((h) => c.dim(h))];
  const byKey = new Map(plan.nodes.map((n) => [n.key, n]));
  const ordered = plan.waves.flat().map((k) => byKey.get(k)).filter((n): n is PlanNode => n !== undefined);
  for (const n of ordered) {
    rows.push([
      String(waves.get(n.key) ?? ''),
      c.bold(n.key),
      n.parent ? `${n.kind} (route of ${n.parent})` : n.kind,
      n.port === null ? '-' : `${n.port}${n.portSource === 'fixed' ? '' : '*'}`,
      n.url ?? '-',
      healthLabel(n),
      n.dependsOn.map((d) => (d.condition === 'healthy' ? d.key : `${d.key} (${d.condition})`)).join(', ') || '-',
    ]);
  }
  out.push(...table(rows, visible).map((l) => `  ${l}`));
  // The stack's own names (plan.stackEnv: the dashboard has none).
  const stackVars = Object.keys(plan.stackEnv);
  const isStackVar = new Set(stackVars);
  out.push(c.dim('  * allocated: stable for this project while the port is free'));
  for (const n of ordered) {
    out.push('');
    out.push(`${c.bold(n.key)}`);
    if (n.command.length > 0) out.push(`  command  ${shellQuote(n.command)}`);
    if (n.kind !== 'proxy') out.push(`  cwd      ${rel(n.cwd)}`);
    if (n.proxy) {
      for (const r of n.proxy.routes) {
        out.push(`  route    ${r.prefix} → ${routeTarget(r)}${r.stripPrefix ? ' (strip prefix)' : ''}${r.fallthrough ? ' (fallthrough)' : ''}`);
      }
    }
    const filtered = n.envNames.filter((e) => !COMMON_ENV.includes(e) && !isStackVar.has(e));
    if (filtered.length > 0) out.push(`  env      ${filtered.join(' ')}`);
  }
  out.push('');
  out.push(c.dim(`every service also gets ${COMMON_ENV.join(' ')}${stackVars.length ? ` and ${stackVars.join(' ')}` : ''}`));
  if (plan.envOut) out.push(c.dim(`env_out would write ${rel(plan.envOut.file)}`));
  return out.join('\n') + '\n';
}

export function planEventNodes(plan: Plan): PlanEventNode[] {
  const waves = waveOf(plan);
  const byKey = new Map(plan.nodes.map((n) => [n.key, n]));
  return plan.waves.flat().flatMap((k) => {
    const n = byKey.get(k);
    if (!n) return [];
    const health: PlanEventNode['health'] = { type: n.health.type };
    if (n.health.url !== null) health.url = n.health.url;
    if (n.health.command !== null) health.command = n.health.command;
    const e: PlanEventNode = {
      key: n.key,
      name: n.name,
      type: n.kind,
      parent: n.parent,
      wave: waves.get(n.key) ?? 0,
      command: n.command,
      cwd: n.cwd,
      port: n.port,
      port_source: n.portSource,
      url: n.url,
      health,
      depends_on: n.dependsOn,
      env_names: n.envNames,
    };
    if (n.proxy) e.routes = n.proxy.routes.map((r) => ({ path: r.prefix, type: r.type, target: routeTarget(r), strip_prefix: r.stripPrefix }));
    return [e];
  });
}
