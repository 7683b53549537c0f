// What a compose node asks the engine: its project's containers, and what the
// engine says about each (`docker inspect`). Over the engine's socket when it
// is a unix socket (src/compose/api.ts), else through the docker CLI.

import { apiError, engineSocket, filters, getJson } from './api.js';
import { lastLine, run } from './exec.js';
import { PROJECT_LABEL, SERVICE_LABEL } from './project.js';

export interface ContainerInfo {
  id: string;
  name: string;
  service: string;
  /** created | running | paused | restarting | removing | exited | dead */
  status: string;
  /** The container's own healthcheck; null when it has none. */
  health: 'starting' | 'healthy' | 'unhealthy' | null;
  /** The last healthcheck output, one line. */
  healthOutput: string;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  startedAt: string;
  /** When its last run ended (while it runs again: the previous run's end); empty when no run ever ended. */
  finishedAt: string;
  restartCount: number;
  restartPolicy: string;
  /** "80/tcp" → host ports it is published on. */
  ports: Record<string, { HostIp: string; HostPort: string }[] | null>;
}

export type Listed = { ok: true; containers: { id: string; service: string }[] } | { ok: false; reason: string };

/** The project's containers (not `run` one-offs), stopped ones too. */
export async function listContainers(docker: string, env: Record<string, string>, project: string, opts: { running?: boolean } = {}): Promise<Listed> {
  const socket = engineSocket(env);
  if (socket) {
    const a = await getJson(socket, `/containers/json?${opts.running ? '' : 'all=1&'}filters=${filters({ label: [`${PROJECT_LABEL}=${project}`] })}`);
    if (!a.ok) return { ok: false, reason: a.reason };
    if (a.status !== 200 || !Array.isArray(a.body)) return { ok: false, reason: `docker ps: ${apiError(a)}` };
    const containers = (a.body as { Id?: string; Labels?: Record<string, string> }[])
      .filter((c) => typeof c.Id === 'string' && c.Labels?.['com.docker.compose.oneoff'] !== 'True')
      .map((c) => ({ id: c.Id ?? '', service: c.Labels?.[SERVICE_LABEL] ?? '' }));
    return { ok: true, containers };
  }
  const args = [docker, 'ps', '--no-trunc', '--filter', `label=${PROJECT_LABEL}=${project}`, '--format', `{{.ID}}\t{{.Label "${SERVICE_LABEL}"}}\t{{.Label "com.docker.compose.oneoff"}}`];
  if (!opts.running) args.splice(2, 0, '-a');
  const r = await run(args, { env, timeoutMs: 15_000 });
  if (r.code !== 0) return { ok: false, reason: `docker ps: ${lastLine(r.stderr) || r.error || `exit ${r.code}`}` };
  const containers = r.stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter(([id, , oneoff]) => id !== undefined && id !== '' && oneoff !== 'True')
    .map(([id = '', service = '']) => ({ id, service }));
  return { ok: true, containers };
}

interface Inspected {
  Id?: string;
  Name?: string;
  State?: { Status?: string; ExitCode?: number; OOMKilled?: boolean; Error?: string; StartedAt?: string; FinishedAt?: string; Health?: { Status?: string; Log?: { Output?: string }[] } };
  RestartCount?: number;
  HostConfig?: { RestartPolicy?: { Name?: string } };
  Config?: { Labels?: Record<string, string> };
  NetworkSettings?: { Ports?: ContainerInfo['ports'] };
}

export type Inspection = { ok: true; containers: ContainerInfo[] } | { ok: false; reason: string };

export async function inspectContainers(docker: string, env: Record<string, string>, ids: readonly string[]): Promise<Inspection> {
  if (ids.length === 0) return { ok: true, containers: [] };
  const socket = engineSocket(env);
  if (socket) {
    const answers = await Promise.all(ids.map((id) => getJson(socket, `/containers/${encodeURIComponent(id)}/json`)));
    const found: Inspected[] = [];
    for (const a of answers) {
      if (!a.ok) return { ok: false, reason: `docker inspect: ${a.reason}` };
      // Removed meanwhile: like the CLI, the others are still told.
      if (a.status === 404) continue;
      if (a.status !== 200 || typeof a.body !== 'object' || a.body === null) return { ok: false, reason: `docker inspect: ${apiError(a)}` };
      found.push(a.body as Inspected);
    }
    return { ok: true, containers: found.map(toInfo) };
  }
  const r = await run([docker, 'inspect', ...ids], { env, timeoutMs: 15_000 });
  let parsed: Inspected[];
  try {
    // A container removed meanwhile makes inspect fail, but it still prints the others.
    parsed = JSON.parse(r.stdout || '[]') as Inspected[];
  } catch {
    return { ok: false, reason: `docker inspect: ${lastLine(r.stderr) || r.error || `exit ${r.code}`}` };
  }
  if (!Array.isArray(parsed)) return { ok: false, reason: 'docker inspect: unexpected output' };
  return { ok: true, containers: parsed.map(toInfo) };
}

function toInfo(c: Inspected): ContainerInfo {
  const h = c.State?.Health;
  const hs = h?.Status;
  const log = h?.Log ?? [];
  return {
    id: c.Id ?? '',
    name: (c.Name ?? '').replace(/^\//, ''),
    service: c.Config?.Labels?.[SERVICE_LABEL] ?? '',
    status: c.State?.Status ?? 'unknown',
    health: hs === 'starting' || hs === 'healthy' || hs === 'unhealthy' ? hs : null,
    healthOutput: lastLine(log[log.length - 1]?.Output ?? ''),
    exitCode: c.State?.ExitCode ?? 0,
    oomKilled: c.State?.OOMKilled === true,
    error: c.State?.Error ?? '',
    startedAt: c.State?.StartedAt ?? '',
    finishedAt: c.State?.FinishedAt && !c.State.FinishedAt.startsWith('0001-') ? c.State.FinishedAt : '',
    restartCount: c.RestartCount ?? 0,
    restartPolicy: c.HostConfig?.RestartPolicy?.Name || 'no',
    ports: c.NetworkSettings?.Ports ?? {},
  };
}

/** The host ports a container publishes `containerPort` (tcp) on. */
export function publishedPorts(c: ContainerInfo, containerPort: number): number[] {
  return (c.ports[`${containerPort}/tcp`] ?? []).map((b) => Number(b.HostPort)).filter((p) => Number.isInteger(p) && p > 0);
}
