// The shape of .devport/<key>/state.json (schema: spec/state.schema.json).

export type ServiceStateName =
  | 'pending'
  | 'starting'
  | 'healthy'
  | 'unhealthy'
  | 'building'
  | 'reloading'
  | 'exited'
  | 'completed'
  | 'failed'
  | 'backoff'
  | 'crashloop'
  | 'stopping'
  | 'stopped';

export interface HealthRecord {
  ok: boolean;
  detail: string;
  checked_at: string;
}

export interface SupervisorRecord {
  key: string;
  pid: number;
  started_at: string;
  version: string;
  spec: string;
  /** The `up` that started this sidecar: dependencies count only within one run. */
  run_id: string | null;
  tmux: { session: string; window: string; pane: string } | null;
  depends_on: string[];
  lock: 'flock' | 'flock-helper';
}

export interface ServiceRecord {
  type: 'exec' | 'task' | 'proxy' | 'compose';
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
}

export interface StateFile {
  supervisor: SupervisorRecord;
  state: ServiceRecord;
}
