// Where things live: .devport/<key>/{state.json,rpc.sock,output.log}.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const STATE_FILE = 'state.json';
export const RPC_SOCK = 'rpc.sock';
export const OUTPUT_LOG = 'output.log';
export const PLAN_FILE = 'plan.json';
export const UP_LOG = 'up.log';
/** A sidecar's own errors (stderr when detached; fatal errors always). */
export const SIDECAR_LOG = 'sidecar.log';

export function serviceDir(stateDir: string, key: string): string {
  return path.join(stateDir, key);
}

/**
 * Names devport itself uses inside .devport/ (besides files, whose names hold a
 * dot and so can never be a key): a service may not take them as its key.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['isolation', 'runtime', 'capture', 'compose']);

export function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key);
}

/** The keys that have a state directory (not the same as live services). */
export function listServiceDirs(stateDir: string): string[] {
  try {
    return readdirSync(stateDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !RESERVED_KEYS.has(d.name) && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Which tmux server and session a stack runs in (written by `up`). */
export const TMUX_FILE = 'tmux.json';

export interface TmuxRecord {
  session: string;
  socket: string;
  /** devport created the session (so `down` may remove it once it is empty). */
  created: boolean;
}

export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  const ignore = path.join(stateDir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '# devport state: never commit\n*\n');
}
