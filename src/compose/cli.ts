// Which compose: the v2 plugin (`docker compose`) when it answers, else v1
// (`docker-compose`). Asked of the caller's PATH, in the caller's environment.

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

/** The compose CLI to use, or undefined when neither is installed. */
export async function detectComposeCli(env: Record<string, string>, opts: { version?: boolean } = {}): Promise<ComposeCli | undefined> {
  const docker = which('docker', env);
  if (docker) {
    // Without the plugin, docker says "'compose' is not a docker command" (or prints its usage) and fails.
    const r = await run([docker, 'compose', 'version', '--short'], { env, timeoutMs: 15_000 });
    const v = r.code === 0 ? VERSION.exec(r.stdout) : null;
    if (v?.[1]) return { argv: [docker, 'compose'], kind: 'v2', version: v[1] };
  }
  const v1 = which('docker-compose', env);
  if (!v1) return undefined;
  return { argv: [v1], kind: 'v1', version: opts.version ? await v1Version(v1, env) : null };
}
