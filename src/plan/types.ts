// The resolved plan: everything a sidecar needs, with templates filled and
// ports chosen. `up` writes it to .devport/plan.json (mode 0600: env may hold
// secrets) and each sidecar reads its node from there.

import type { SourceLocation } from '../errors/failure.js';
import type { DepCondition, HealthType, RestartPolicy } from '../spec/model.js';

export type NodeKind = 'exec' | 'task' | 'proxy' | 'compose';

export interface PlanHealth {
  type: HealthType;
  intervalMs: number;
  timeoutMs: number;
  probeTimeoutMs: number;
  recheckIntervalMs: number;
  settleMs: number;
  /** http: the URL to GET. */
  url: string | null;
  /** cmd: the probe command. */
  command: string[] | null;
  /** http: statuses that count as healthy; null = any 2xx/3xx. */
  expectStatus: number[] | null;
}

export type PlanRoute =
  | { type: 'exec'; prefix: string; name: string; key: string; stripPrefix: boolean; fallthrough: boolean; changeOrigin: boolean }
  | { type: 'static'; prefix: string; name: string | null; root: string; spa: boolean; stripPrefix: boolean; fallthrough: boolean }
  | { type: 'http'; prefix: string; name: string | null; url: string; stripPrefix: boolean; fallthrough: boolean; changeOrigin: boolean };

export interface PlanNode {
  key: string;
  name: string;
  prefix: string;
  kind: NodeKind;
  /** Key of the proxy a route belongs to. */
  parent: string | null;
  command: string[];
  cwd: string;
  port: number | null;
  portSource: 'fixed' | 'allocated' | 'none';
  /** The address the node binds (HOST). */
  host: string;
  url: string | null;
  /** The whole environment of the child. */
  env: Record<string, string>;
  /** The names devport or the spec set (not inherited): what --dry-run shows. */
  envNames: string[];
  health: PlanHealth;
  restart: RestartPolicy;
  stopSignal: string;
  stopTimeoutMs: number;
  dependsOn: { key: string; condition: DepCondition }[];
  watch: string[];
  watchIgnore: string[];
  build: string[] | null;
  proxy: { holdTimeoutMs: number; routes: PlanRoute[] } | null;
  compose: { file: string; services: string[]; profiles: string[] } | null;
}

export interface Plan {
  version: 1;
  /** Absolute path of devport.toml. */
  spec: string;
  projectDir: string;
  stateDir: string;
  tmuxSession: string;
  isolationId: string;
  /** Set by `up` for its sidecars; null in a plan that was only made (dry run). */
  runId: string | null;
  /** The umask of the `up` that wrote the plan: its sidecars give it to builds and children. */
  umask?: number;
  /** Keys in start order: each wave depends only on earlier waves. */
  waves: string[][];
  nodes: PlanNode[];
  envOut: { file: string; lines: string[]; location?: SourceLocation } | null;
}
