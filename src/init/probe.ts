// process-compose's readiness_probe (Kubernetes-shaped) → [service.health].
// http_get on a local host becomes a path on the service's own port (which the
// probe's port then fixes); exec becomes a cmd probe.

import { validPort } from './ports.js';
import { isMap } from './read.js';
import { devportCommand, parseCommand } from './shell.js';
import type { DraftHealth } from './types.js';

const LOCAL = new Set(['', 'localhost', '127.0.0.1', '::1', '[::1]', '0.0.0.0']);
/** A number of seconds (process-compose, compose) → a devport duration; at most a day. */
export function seconds(v: unknown): string | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 && n <= 86_400 ? `${n}s` : undefined;
}

export function probeHealth(
  probe: Record<string, unknown>,
  shell: readonly string[],
  note: (key: string, why: string) => void,
): { health?: DraftHealth; port?: number } {
  let health: DraftHealth | undefined;
  let port: number | undefined;
  if (isMap(probe.http_get)) {
    const h = probe.http_get;
    const host = String(h.host ?? '');
    const scheme = String(h.scheme ?? 'http').toLowerCase();
    const p = typeof h.path === 'string' && h.path.startsWith('/') ? h.path : '/';
    port = validPort(h.port);
    if (LOCAL.has(host) && scheme === 'http') {
      // A port devport cannot read (`${PORT}`) is taken to be the service's own.
      health = { type: 'http', path: p };
    } else if (port !== undefined) {
      health = { type: 'http', url: `${scheme}://${host}:${port}${p}` };
      port = undefined;
    } else note('http_get', `no port devport can read: ${String(h.port)}`);
    for (const k of Object.keys(h)) if (!['host', 'scheme', 'path', 'port'].includes(k)) note(`http_get.${k}`, 'devport\'s http probe sends a plain GET');
  } else if (isMap(probe.exec) && typeof probe.exec.command === 'string') {
    const parsed = parseCommand(probe.exec.command);
    // A probe has no env of its own: `A=1 check` keeps its shell.
    const cmd = devportCommand(parsed.assignments.length > 0 ? { ...parsed, words: undefined } : parsed, shell);
    health = { type: 'cmd', command: cmd.command };
    for (const why of cmd.problems) note('exec.command', why);
    if (probe.exec.working_dir !== undefined) note('exec.working_dir', "devport runs a cmd probe in the service's cwd");
  } else {
    note('', 'neither http_get nor exec: not translated');
  }
  if (!health) return {};
  const period = seconds(probe.period_seconds);
  if (period) health.interval = period;
  const timeout = seconds(probe.timeout_seconds);
  if (timeout) health.probeTimeout = timeout;
  for (const k of ['initial_delay_seconds', 'success_threshold', 'failure_threshold']) {
    if (probe[k] !== undefined) note(k, 'devport probes from the start and gives a service `timeout` (default 30s) to become healthy');
  }
  return { health, port };
}
