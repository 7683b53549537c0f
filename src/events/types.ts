// What devport reports while it works. Loggers render these; `--json` writes
// each as one NDJSON line in the envelope {"v":1,"ts","seq","event",…}.

import type { ServiceStateName } from '../state/types.js';

export interface PlanEventNode {
  key: string;
  name: string;
  type: string;
  parent: string | null;
  wave: number;
  command: string[];
  cwd: string;
  port: number | null;
  port_source: 'fixed' | 'allocated' | 'none';
  url: string | null;
  health: { type: string; url?: string; command?: string[] };
  depends_on: { key: string; condition: string }[];
  /** Besides stack_env_names (the plan's <PREFIX>_PORT/_URL, the same for every service). */
  env_names: string[];
  routes?: { path: string; type: string; target: string; strip_prefix: boolean }[];
}

export type DevportEvent =
  | { event: 'plan'; spec: string; tmux_session: string; isolation_id: string; waves: string[][]; services: PlanEventNode[]; stack_env_names: string[]; dry_run: boolean }
  | { event: 'service'; service: string; state: ServiceStateName; duration_ms: number; detail?: string; port?: number | null; url?: string | null; restarts?: number; exit_code?: number | null }
  | { event: 'ready'; services: { service: string; url: string | null; port: number | null; state: ServiceStateName }[]; duration_ms: number }
  | { event: 'shutdown'; reason: string; stopped: string[]; duration_ms: number }
  | { event: 'stopped'; service: string; how: string }
  | { event: 'untrusted'; service: string; problem: string }
  | { event: 'reload'; service: string; how: 'restart' | 'signal'; trigger: string[]; count: number }
  | { event: 'build'; service: string; ok: boolean; duration_ms: number; exit_code: number | null; tail?: string }
  | { event: 'reconcile'; started: string[]; restarted: string[]; stopped: string[]; unchanged: string[] }
  | { event: 'preflight'; compose: { cli: string; kind: 'v2' | 'v1'; version: string | null; path: string }; engine: { version: string; api: string; endpoint: string } }
  | { event: 'info'; message: string };

export type EventName = DevportEvent['event'];

export interface Logger {
  log(e: DevportEvent): void;
}
