// The shape of .devport/<key>/state.json (schema: spec/state.schema.json).

import type { SERVICE_STATES } from './schema.js';

export type ServiceStateName = (typeof SERVICE_STATES)[number];

export interface HealthRecord {
  ok: boolean;
  detail: string;
  checked_at: string;
}

export interface SupervisorRecord {
  key: string;
  pid: number;
  /** /proc start time of the sidecar: with the pid, its identity. */
  pid_start?: number | null;
  started_at: string;
  version: string;
  spec: string;
  /** The `up` that started this sidecar: dependencies count only within one run. */
  run_id: string | null;
  tmux: { session: string; window: string; pane: string } | null;
  depends_on: string[];
  lock: 'flock' | 'flock-helper';
  /** Where this sidecar's output begins in output.log ("the current run"). */
  output_offset?: number;
}

/** The last build of a hot reload (ok null while it runs). */
export interface BuildRecord {
  ok: boolean | null;
  exit_code: number | null;
  tail: string;
  started_at: string;
  duration_ms: number | null;
  trigger: string[];
}

/** The last hot reload: a new generation, or reload_signal sent to the child. */
export interface ReloadRecord {
  at: string;
  how: 'restart' | 'signal';
  signal: string | null;
  trigger: string[];
  count: number;
}

/** The port is held by a process that is not the service's child. */
export interface PortConflict {
  port: number;
  pid: number | null;
  command: string;
}

export interface ServiceRecord {
  type: 'exec' | 'task' | 'proxy' | 'compose' | 'dashboard';
  state: ServiceStateName;
  port: number | null;
  url: string | null;
  pid: number | null;
  pgid: number | null;
  /** /proc/<pid>/stat start time of the child, to tell a reused pid from ours. */
  pid_start: number | null;
  generation: number;
  restarts: number;
  exit_code: number | null;
  signal: string | null;
  /** Why the last child ended, in words: "exited 3", "killed after 5000 ms stop timeout". */
  reason: string | null;
  since: string;
  health: HealthRecord | null;
  /** In backoff/crashloop: when the next start is due. */
  next_restart_at: string | null;
  conflict?: PortConflict | null;
  build?: BuildRecord | null;
  reload?: ReloadRecord | null;
}

export interface StateFile {
  supervisor: SupervisorRecord;
  state: ServiceRecord;
}
