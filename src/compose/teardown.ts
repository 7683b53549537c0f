// What `down` does to a stack's compose project once its sidecars are gone,
// and what `up --fresh` does before anything starts. By compose's project
// label with the docker CLI: it needs neither the compose file (which may have
// changed since) nor the stack's env, and the project name is checked to be
// this stack's before anything is touched.

import path from 'node:path';
import { childEnv } from '../plan/child-env.js';
import type { Plan } from '../plan/types.js';
import { readJson } from '../state/atomic.js';
import { listServiceDirs } from '../state/dirs.js';
import { lastLine, run, which } from './exec.js';
import { composeProjectName, PROJECT_LABEL } from './project.js';
import { RECORD_FILE, type ComposeRecord } from './override.js';
import { listContainers } from './docker.js';

export interface Swept {
  project: string;
  /** Containers still running after the sidecars stopped (a SIGKILLed sidecar's), now stopped. */
  stopped: number;
  removed: { containers: number; volumes: number; networks: number };
  /** What could not be done, in words. */
  problems: string[];
}

/** The compose projects this stack's sidecars recorded, only names this stack can have (`devport-<dir>-<hash>[-<id>]`). */
export function recordedProjects(stateDir: string): string[] {
  const projectDir = path.dirname(stateDir);
  const base = composeProjectName(projectDir, '');
  const found = new Set<string>();
  for (const key of listServiceDirs(stateDir)) {
    const rec = readJson<Partial<ComposeRecord>>(path.join(stateDir, key, RECORD_FILE), 64 * 1024);
    const p = rec?.project;
    if (typeof p === 'string' && (p === base || (p.startsWith(`${base}-`) && /^[a-z0-9_-]+$/.test(p)))) found.add(p);
  }
  return [...found].sort();
}

async function ids(docker: string, env: Record<string, string>, kind: 'volume' | 'network', project: string): Promise<string[] | string> {
  const r = await run([docker, kind, 'ls', '-q', '--filter', `label=${PROJECT_LABEL}=${project}`], { env, timeoutMs: 15_000 });
  if (r.code !== 0) return `docker ${kind} ls: ${lastLine(r.stderr) || r.error || `exit ${r.code}`}`;
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

/**
 * Stops what still runs of `project` (`stopTimeoutS` each, then killed); with `volumes`, also
 * removes its containers, volumes and networks: what `compose down --volumes` removes.
 */
export async function sweepProject(project: string, env: Record<string, string>, opts: { volumes: boolean; stopTimeoutS?: number }): Promise<Swept> {
  const out: Swept = { project, stopped: 0, removed: { containers: 0, volumes: 0, networks: 0 }, problems: [] };
  const docker = which('docker', env);
  if (!docker) {
    out.problems.push('the docker CLI is not on PATH');
    return out;
  }
  const running = await listContainers(docker, env, project, { running: true });
  if (!running.ok) {
    out.problems.push(running.reason);
    return out;
  }
  if (running.containers.length > 0) {
    const r = await run([docker, 'stop', '-t', String(opts.stopTimeoutS ?? 5), ...running.containers.map((c) => c.id)], { env, timeoutMs: 120_000 });
    if (r.code === 0) out.stopped = running.containers.length;
    else out.problems.push(`docker stop: ${lastLine(r.stderr) || r.error}`);
  }
  if (!opts.volumes) return out;
  const all = await listContainers(docker, env, project);
  if (all.ok && all.containers.length > 0) {
    const r = await run([docker, 'rm', '-f', '-v', ...all.containers.map((c) => c.id)], { env, timeoutMs: 60_000 });
    if (r.code === 0) out.removed.containers = all.containers.length;
    else out.problems.push(`docker rm: ${lastLine(r.stderr) || r.error}`);
  }
  for (const kind of ['volume', 'network'] as const) {
    const list = await ids(docker, env, kind, project);
    if (typeof list === 'string') {
      out.problems.push(list);
      continue;
    }
    if (list.length === 0) continue;
    const r = await run([docker, kind, 'rm', ...list], { env, timeoutMs: 60_000 });
    if (r.code === 0) out.removed[kind === 'volume' ? 'volumes' : 'networks'] = list.length;
    else out.problems.push(`docker ${kind} rm: ${lastLine(r.stderr) || r.error}`);
  }
  return out;
}

/** `devport down [--volumes]`, after the sidecars: every compose project the stack recorded. */
export async function sweepCompose(stateDir: string, env: Record<string, string>, opts: { volumes: boolean }): Promise<Swept[]> {
  const projects = recordedProjects(stateDir);
  return Promise.all(projects.map((p) => sweepProject(p, env, opts)));
}

/**
 * `up --fresh`, before anything starts: removes the plan's compose project — its containers, volumes
 * and networks — so the compose nodes start clean (an empty database). Nothing when the plan has no
 * compose node.
 */
export async function freshCompose(plan: Plan): Promise<Swept | null> {
  const node = plan.nodes.find((n) => n.kind === 'compose' && n.compose);
  if (!node?.compose) return null;
  return sweepProject(node.compose.project, childEnv(plan, node), { volumes: true, stopTimeoutS: 1 });
}
