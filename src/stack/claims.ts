// Ports this stack already holds: a live sidecar's port, and the port of a
// dead sidecar whose child still runs (it is reaped before the new child
// starts, so the port is the service's own). The plan keeps them: a dry run
// beside a running stack shows the live ports, and an `up` after a crash does
// not move a service to port + 1.

import path from 'node:path';
import { inventory } from '../state/inventory.js';
import { serviceMarker } from '../state/marker.js';
import { verifyChild } from '../sys/trust.js';

export function stackClaims(stateDir: string): Map<string, number> {
  const projectDir = path.dirname(stateDir);
  const claims = new Map<string, number>();
  for (const e of inventory(stateDir)) {
    const s = e.state?.state;
    if (!s || s.port === null || e.problem !== undefined) continue;
    if (e.alive || verifyChild(s, serviceMarker(projectDir, e.key))) claims.set(e.key, s.port);
  }
  return claims;
}
