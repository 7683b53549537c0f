// What devport writes beside a compose node's state: the override file that
// publishes the allocated port (.devport/<key>/compose.override.yaml), and the
// record `down` reads to find the stack's compose project (compose.json).

import path from 'node:path';
import type { Plan, PlanNode } from '../plan/types.js';
import { writeFileAtomic } from '../state/atomic.js';

export const OVERRIDE_FILE = 'compose.override.yaml';
export const RECORD_FILE = 'compose.json';

export interface ComposeRecord {
  project: string;
  files: string[];
  services: string[];
  profiles: string[];
  cwd: string;
}

/** `host:port:container` in compose's short syntax, on the stack's address (every address for 0.0.0.0 / ::). */
function mapping(host: string, port: number, containerPort: number): string {
  if (host === '' || host === '0.0.0.0' || host === '::') return `${port}:${containerPort}`;
  return `${host.includes(':') ? `[${host}]` : host}:${port}:${containerPort}`;
}

/**
 * The override for `node`, or null when it needs none. It publishes the ports of every compose node
 * of the plan that runs the same files: each invocation then gives compose the same configuration
 * for every service, and one node's `up` never recreates another's container for a difference in ports.
 * JSON, which is YAML.
 */
export function overrideContent(plan: Plan, node: PlanNode): string | null {
  const c = node.compose;
  if (!c || !c.override) return null;
  const same = plan.nodes.filter((n) => n.compose && n.compose.files.join('\0') === c.files.join('\0') && n.cwd === node.cwd && n.compose.override && n.compose.containerPort !== null && n.port !== null);
  const services: Record<string, { ports: string[] }> = {};
  for (const n of same) {
    const svc = n.compose?.services[0];
    if (svc === undefined || n.port === null || !n.compose || n.compose.containerPort === null) continue;
    (services[svc] ??= { ports: [] }).ports.push(mapping(n.host, n.port, n.compose.containerPort));
  }
  return `${JSON.stringify({ services }, null, 2)}\n`;
}

/** Writes the override (when the node needs one) and the record; returns the compose files to pass with -f. */
export function writeComposeFiles(plan: Plan, node: PlanNode, dir: string): string[] {
  const c = node.compose;
  if (!c) return [];
  const files = [...c.files];
  const override = overrideContent(plan, node);
  if (override !== null) {
    const file = path.join(dir, OVERRIDE_FILE);
    writeFileAtomic(file, override, 0o600);
    files.push(file);
  }
  const record: ComposeRecord = { project: c.project, files, services: c.services, profiles: c.profiles, cwd: node.cwd };
  writeFileAtomic(path.join(dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`, 0o600);
  return files;
}

/** compose's global arguments for a node: project, files, profiles. */
export function composeArgs(project: string, files: readonly string[], profiles: readonly string[]): string[] {
  return ['-p', project, ...files.flatMap((f) => ['-f', f]), ...profiles.flatMap((p) => ['--profile', p])];
}
