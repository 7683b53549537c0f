// Before `up` starts anything: is there a compose CLI, and does the Docker
// engine answer? Both asked at once; nothing is asked when the plan has no
// compose node.

import { failure, type Failure } from '../errors/failure.js';
import { childEnv } from '../plan/child-env.js';
import type { Plan } from '../plan/types.js';
import { detectComposeCli } from './cli.js';
import { checkEngine } from './engine.js';
import { which } from './exec.js';

export interface ComposeVersions {
  compose: { cli: 'docker compose' | 'docker-compose'; kind: 'v2' | 'v1'; version: string | null; path: string };
  engine: { version: string; api: string; endpoint: string };
}

export type PreflightResult = { ok: true; versions: ComposeVersions | null } | { ok: false; failures: Failure[] };

/**
 * COMPOSE_NOT_FOUND when neither `docker compose` nor `docker-compose` is installed, DOCKER_UNAVAILABLE
 * when the engine does not answer (the reason: no socket, permission denied…) or the docker CLI
 * devport drives it with is missing. `versions` is null when the plan has no compose node.
 * `env` defaults to the environment the plan gives the first compose node (the caller's PATH,
 * DOCKER_HOST…).
 */
export async function composePreflight(plan: Plan, opts: { env?: Record<string, string> } = {}): Promise<PreflightResult> {
  const nodes = plan.nodes.filter((n) => n.kind === 'compose');
  const first = nodes[0];
  if (!first) return { ok: true, versions: null };
  const env = opts.env ?? childEnv(plan, first);
  const names = nodes.map((n) => `"${n.key}"`).join(', ');
  const needs = `compose service${nodes.length === 1 ? '' : 's'} ${names}`;
  const [cli, engine] = await Promise.all([detectComposeCli(env, { version: true }), checkEngine(env)]);
  if (!cli) {
    return {
      ok: false,
      failures: [
        failure('COMPOSE_NOT_FOUND', `${needs} need${nodes.length === 1 ? 's' : ''} docker compose: neither \`docker compose\` (the v2 plugin) nor \`docker-compose\` (v1) is on PATH`, {
          hint: 'install the docker compose plugin (v2; Debian: docker-compose-plugin) or docker-compose (v1; Debian: docker-compose), or remove the compose service from the spec',
        }),
      ],
    };
  }
  const failures: Failure[] = [];
  if (!engine.ok) failures.push(failure('DOCKER_UNAVAILABLE', `${needs} need${nodes.length === 1 ? 's' : ''} the Docker engine: ${engine.reason}`, { hint: engine.hint }));
  else if (!which('docker', env)) {
    failures.push(failure('DOCKER_UNAVAILABLE', `${needs} need${nodes.length === 1 ? 's' : ''} the docker CLI (devport inspects and follows containers with it), and it is not on PATH`, { hint: 'install the docker CLI (Debian: docker.io or docker-ce-cli)' }));
  }
  if (failures.length > 0 || !engine.ok) return { ok: false, failures };
  return {
    ok: true,
    versions: {
      compose: { cli: cli.kind === 'v2' ? 'docker compose' : 'docker-compose', kind: cli.kind, version: cli.version, path: cli.argv[0] ?? '' },
      engine: { version: engine.version, api: engine.api, endpoint: engine.endpoint },
    },
  };
}
