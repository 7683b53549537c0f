// What the dashboard's API says (server and page share these shapes).

import type { BuildRecord, HealthRecord, ReloadRecord } from '../state/types.js';

export interface NodeView {
  key: string;
  name: string;
  type: string;
  /** A sidecar holds the lock. */
  alive: boolean;
  /** The state in state.json; "dead" when no sidecar holds it and it never stopped cleanly. */
  state: string;
  health: HealthRecord | null;
  url: string | null;
  port: number | null;
  pid: number | null;
  generation: number;
  restarts: number;
  /** When the sidecar started, and when the state last changed. */
  started_at: string | null;
  since: string | null;
  depends_on: string[];
  /** Proxy of a route. */
  parent: string | null;
  reason: string | null;
  exit_code: number | null;
  build: BuildRecord | null;
  reload: ReloadRecord | null;
  /** Why devport does not trust this entry (a symlink, a forged state.json). */
  problem: string | null;
}

export interface Snapshot {
  project: string;
  spec: string | null;
  /** This dashboard's own key when it is a supervised node. */
  self: string | null;
  nodes: NodeView[];
}

/** One frame of /api/stream. */
export type StreamFrame = { kind: 'snapshot'; snapshot: Snapshot } | { kind: 'node'; node: NodeView } | { kind: 'gone'; key: string };

/** One frame of /api/logs. */
export interface LogFrame {
  key: string;
  /** Raw output (ANSI kept); `reset` when the log was rotated or a new run began. */
  text: string;
  reset?: boolean;
}

export interface ActionResult {
  ok: boolean;
  message: string;
}
