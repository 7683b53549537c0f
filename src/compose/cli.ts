// Which compose: the v2 plugin (`docker compose`) when it answers, else v1
// (`docker-compose`). Asked of the caller's PATH, in the caller's environment.
// Asking docker costs a process (~55 ms here, paid by `up` and by each compose
// sidecar), so where docker looks for plugins is looked at first: with no
// plugin file there and v1 installed, v1 it is.

import { statSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../util/read-file.js';
import { run, which } from './exec.js';

export interface ComposeCli {
  /** The command to run compose: ["docker", "compose"] or ["/usr/bin/docker-compose"]. */
  argv: string[];
  kind: 'v2' | 'v1';
  /** Its version, when asked for; null when it could not be told. */
  version: string | null;
}

const VERSION = /(\d+\.\d+\.\d+[\w.+-]*)/;

/**
 * v1's version without running it when it is the usual Python entry script (which names its own
 * version, `docker-compose==1.29.2`): starting v1 costs a second or more, and `up` waits for this.
 */
async function v1Version(file: string, env: Record<string, string>): Promise<string | null> {
  const head = readRegularFile(file, { maxBytes: 64 * 1024 });
  if (head.ok && head.text.startsWith('#!')) {
    const m = /docker-compose==(\d+\.\d+\.\d+)/.exec(head.text);
    if (m?.[1]) return m[1];
  }
  const r = await run([file, 'version', '--short'], { env, timeoutMs: 30_000 });
  return r.code === 0 ? (VERSION.exec(r.stdout)?.[1] ?? null) : null;
}

/** The directories the docker CLI loads plugins from (docker/cli, cli-plugins/manager): the user's, then the system's. */
export function pluginDirs(env: Record<string, string | undefined>): string[] {
  const config = env.DOCKER_CONFIG || (env.HOME ? path.join(env.HOME, '.docker') : undefined);
  const system = ['/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins'];
  return config ? [path.join(config, 'cli-plugins'), ...system] : system;
}

function hasComposePlugin(env: Record<string, string | undefined>): boolean {
  return pluginDirs(env).some((d) => {
    try {
      return statSync(path.join(d, 'docker-compose')).isFile();
    } catch {
      return false;
    }
  });
}

/** The compose CLI to use, or undefined when neither is installed. */
export async function detectComposeCli(env: Record<string, string>, opts: { version?: boolean } = {}): Promise<ComposeCli | undefined> {
  const docker = which('docker', env);
  const v1 = which('docker-compose', env);
  // No plugin where docker looks, and v1 at hand: nothing to ask. (With neither, docker is asked: it may know better.)
  if (docker && (hasComposePlugin(env) || !v1)) {
    // Without the plugin, docker says "'compose' is not a docker command" (or prints its usage) and fails.
    const r = await run([docker, 'compose', 'version', '--short'], { env, timeoutMs: 15_000 });
    const v = r.code === 0 ? VERSION.exec(r.stdout) : null;
    if (v?.[1]) return { argv: [docker, 'compose'], kind: 'v2', version: v[1] };
  }
  if (!v1) return undefined;
  return { argv: [v1], kind: 'v1', version: opts.version ? await v1Version(v1, env) : null };
}
