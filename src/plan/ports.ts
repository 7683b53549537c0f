// Port allocation: a stable preferred port per (project, key) inside
// port_range, probing upward past ports that are bound or claimed.

import { failure, type Failure } from '../errors/failure.js';
import { fnv1a } from '../util/hash.js';
import { findPortHolder, type PortChecker } from './listening.js';


export function preferredPort(projectDir: string, key: string, range: readonly [number, number]): number {
  const [lo, hi] = range;
  return lo + (fnv1a(`${projectDir}\0${key}`) % (hi - lo + 1));
}

export interface PortRequest {
  key: string;
  name: string;
  /** A fixed port's candidates (one, or several in an isolated worktree), or undefined to allocate. */
  fixed: readonly number[] | undefined;
}

export interface AllocationInput {
  projectDir: string;
  range: readonly [number, number];
  requests: readonly PortRequest[];
  /** Ports recorded by live state dirs, by key: a live key keeps its port. */
  claimed: ReadonlyMap<string, number>;
  checker: PortChecker;
}

export type AllocationResult = { ok: true; ports: Map<string, number> } | { ok: false; failures: Failure[] };

function inUse(port: number, name: string, tried: number): Failure {
  const holder = findPortHolder(port);
  const by = holder ? ` by ${holder.command || 'a process'} (pid ${holder.pid})` : '';
  const more = tried > 1 ? ` (and the ${tried - 1} ports after it)` : '';
  return failure('PORT_IN_USE', `port ${port} of "${name}" is already in use${by}${more}`, {
    hint: holder
      ? `stop that process (kill ${holder.pid}), or remove \`port\` from "${name}" so devport allocates one`
      : `stop what listens on ${port} (\`ss -ltnp 'sport = :${port}'\` shows it), or remove \`port\` from "${name}"`,
  });
}

export async function allocatePorts(input: AllocationInput): Promise<AllocationResult> {
  const { range, requests, claimed, checker } = input;
  const ports = new Map<string, number>();
  const used = new Set<number>();
  const failures: Failure[] = [];
  // Who claims each port (a scan of every claim per probed port was n²).
  const claimants = new Map<number, Set<string>>();
  for (const [k, p] of claimed) claimants.set(p, (claimants.get(p) ?? new Set()).add(k));
  const claimedByOthers = (port: number, key: string) => {
    const keys = claimants.get(port);
    return keys !== undefined && (keys.size > 1 || !keys.has(key));
  };
  // A port held by this key's own live sidecar is its own, not "in use by something else".
  const isFree = async (port: number, key: string) =>
    !used.has(port) && !claimedByOthers(port, key) && (claimed.get(key) === port || !(await checker.inUse(port)));
  const take = (key: string, port: number) => {
    ports.set(key, port);
    used.add(port);
  };

  // Fixed ports first, so allocation never hands one of them out.
  for (const r of requests) {
    if (r.fixed) for (const port of r.fixed) used.add(port);
  }
  for (const r of requests) {
    const [first] = r.fixed ?? [];
    if (r.fixed === undefined || first === undefined) continue;
    for (const port of r.fixed) used.delete(port);
    let chosen: number | undefined;
    for (const port of r.fixed) {
      if (await isFree(port, r.key)) {
        chosen = port;
        break;
      }
    }
    if (chosen === undefined) failures.push(inUse(first, r.name, r.fixed.length));
    else take(r.key, chosen);
  }

  const [lo, hi] = range;
  const size = hi - lo + 1;
  // Once one request finds the range full, so does every later one (free ports only get
  // fewer): they fail at once instead of each probing the whole range again.
  let full = false;
  for (const r of requests) {
    if (r.fixed !== undefined) continue;
    const own = claimed.get(r.key);
    if (own !== undefined && !used.has(own)) {
      take(r.key, own);
      continue;
    }
    const start = preferredPort(input.projectDir, r.key, range);
    let found: number | undefined;
    for (let step = 0; step < size && found === undefined && !full; step++) {
      const port = lo + ((start - lo + step) % size);
      if (await isFree(port, r.key)) found = port;
    }
    if (found === undefined) {
      full = true;
      failures.push(failure('PORT_IN_USE', `no free port for "${r.name}" in port_range [${lo}, ${hi}]`, { hint: 'widen port_range in devport.toml' }));
    } else take(r.key, found);
  }
  return failures.length > 0 ? { ok: false, failures } : { ok: true, ports };
}
