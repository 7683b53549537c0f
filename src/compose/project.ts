// One compose project per devport stack: named from the project dir (its name
// and a hash of its path) and the isolation id, so two checkouts, two worktrees
// or two projects whose directories share a name never share containers or volumes.

import path from 'node:path';
import { fnv1a } from '../util/hash.js';

/** Compose's label on every container, network and volume of a project. */
export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';

/** `devport-<dir>-<6 chars of a hash of the dir>[-<isolation id>]`, in the characters every compose version accepts. */
export function composeProjectName(projectDir: string, isolationId: string): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+|[-_]+$/g, '');
  const base = clean(path.basename(projectDir)).slice(0, 40) || 'project';
  const hash = (fnv1a(path.resolve(projectDir)) % 36 ** 6).toString(36).padStart(6, '0');
  const id = clean(isolationId).slice(0, 32);
  return `devport-${base}-${hash}${id ? `-${id}` : ''}`;
}
