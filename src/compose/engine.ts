// Is the Docker engine there? Asked over its unix socket directly when that is
// where it lives (a few ms, and the reason is exact: no socket, permission
// denied, nobody listening); through `docker version` for anything else
// (tcp://, ssh://, a docker context).

import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { lastLine, run, which } from './exec.js';

export type EngineCheck = { ok: true; version: string; api: string; endpoint: string } | { ok: false; endpoint: string; reason: string; hint: string };

const DEFAULT_SOCKET = '/var/run/docker.sock';
const START_HINT = 'start the Docker engine (`sudo systemctl start docker`, or `sudo dockerd &`), or point DOCKER_HOST at a running one; or remove the compose service from the spec';
export const GROUP_HINT = 'add yourself to the docker group: `sudo usermod -aG docker $USER`, then log in again (or run `newgrp docker`)';

/** The endpoint the docker CLI would use; null when a docker context decides it (only the CLI knows). */
export function dockerEndpoint(env: Record<string, string | undefined>): string | null {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return null;
  try {
    const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { currentContext?: unknown };
    if (typeof config.currentContext === 'string' && config.currentContext !== 'default') return null;
  } catch {
    /* no config: the default socket */
  }
  return `unix://${DEFAULT_SOCKET}`;
}

/** Why a connection to a unix socket failed, in words, with what to do. */
export function socketProblem(code: string, socket: string): { reason: string; hint: string } {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return { reason: `the Docker socket ${socket} does not exist (the engine is not running)`, hint: START_HINT };
    case 'EACCES':
    case 'EPERM':
      return { reason: `permission denied on the Docker socket ${socket}`, hint: GROUP_HINT };
    case 'ECONNREFUSED':
      return { reason: `nothing listens on the Docker socket ${socket} (a stale socket: the engine is not running)`, hint: START_HINT };
    default:
      return { reason: `the Docker socket ${socket} does not answer (${code})`, hint: START_HINT };
  }
}

function askSocket(socket: string, timeoutMs: number): Promise<{ version: string; api: string } | { code: string }> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/version', timeout: timeoutMs, headers: { host: 'docker' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body = (body + d).slice(0, 64 * 1024)));
      res.on('end', () => {
        try {
          const v = JSON.parse(body) as { Version?: unknown; ApiVersion?: unknown };
          if (res.statusCode === 200 && typeof v.Version === 'string') return resolve({ version: v.Version, api: typeof v.ApiVersion === 'string' ? v.ApiVersion : '' });
        } catch {
          /* below */
        }
        resolve({ code: `HTTP ${res.statusCode ?? '?'} from /version` });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: `no answer in ${timeoutMs} ms` })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ code: e.code ?? e.message }));
  });
}

export async function checkEngine(env: Record<string, string>, timeoutMs = 5000): Promise<EngineCheck> {
  const endpoint = dockerEndpoint(env);
  if (endpoint?.startsWith('unix://')) {
    const socket = endpoint.slice('unix://'.length);
    const r = await askSocket(socket, timeoutMs);
    if ('version' in r) return { ok: true, endpoint, ...r };
    return { ok: false, endpoint, ...socketProblem(r.code, socket) };
  }
  const docker = which('docker', env);
  const where = endpoint ?? 'the current docker context';
  if (!docker) return { ok: false, endpoint: where, reason: `the docker CLI is not on PATH, and it is what reaches ${where}`, hint: 'install the docker CLI (Debian: docker.io or docker-ce-cli)' };
  const r = await run([docker, 'version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'], { env, timeoutMs: timeoutMs * 2 });
  const [version = '', api = ''] = r.stdout.trim().split(' ');
  if (r.code === 0 && version !== '') return { ok: true, endpoint: where, version, api };
  const why = lastLine(r.stderr) || r.error || `docker version exited ${r.code}`;
  return { ok: false, endpoint: where, reason: `the Docker engine at ${where} does not answer: ${why}`, hint: /permission denied/i.test(why) ? GROUP_HINT : START_HINT };
}
