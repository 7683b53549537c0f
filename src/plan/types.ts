// The resolved plan: everything a sidecar needs, with templates filled and
// ports chosen. `up` writes it to .devport/plan.json (mode 0600: env may hold
// secrets) and each sidecar reads its node from there.
//
// Environments are stored in layers, not whole per node: every child gets every
// node's <PREFIX>_PORT/_URL and the whole inherited environment, so n whole
// copies would make the plan grow with n². childEnv (child-env.ts) puts a
// child's environment together where it is spawned.

import type { SourceLocation } from '../errors/failure.js';
import type { DepCondition, HealthType, RestartPolicy } from '../spec/model.js';

export type NodeKind = 'exec' | 'task' | 'proxy' | 'compose' | 'dashboard';

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
  /**
   * What is this node's own in its environment, above the plan's shared layers: its [env] entries
   * whose value differs between nodes (`${PORT}`…), its service `env`, DATABASE_URL when
   * isolation rewrote it, and PORT, HOST, DEVPORT_KEY, DEVPORT_PROJECT_DIR, DEVPORT_ID.
   */
  ownEnv: Record<string, string>;
  /**
   * The whole environment of the child (childEnv(plan, node)), made on first read and never
   * stored: it is not in plan.json. Plans from makePlan and revivePlan have it; code that spawns
   * calls childEnv, which needs only the stored layers.
   */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The names devport or the spec set (not inherited), except the stack's <PREFIX>_PORT/_URL
   * (the same for every node: Plan.stackEnv): what --dry-run shows.
   */
  envNames: string[];
  health: PlanHealth;
  restart: RestartPolicy;
  stopSignal: string;
  stopTimeoutMs: number;
  dependsOn: { key: string; condition: DepCondition }[];
  watch: string[];
  watchIgnore: string[];
  watchDebounceMs: number;
  /** On a change, signal the running child instead of restarting it. */
  reloadSignal: string | null;
  build: string[] | null;
  /** capture: requests the request inspector keeps (0: off; absent: the default). */
  proxy: { holdTimeoutMs: number; capture?: number; routes: PlanRoute[] } | null;
  compose: PlanCompose | null;
}

/** A compose node: which compose project, files and services, and how its port and health work. */
export interface PlanCompose {
  /** The compose project: one per stack (src/compose/project.ts). */
  project: string;
  /** The user's compose files, absolute (`file`, or the default file and its override file). */
  files: string[];
  /** The compose services this node runs. */
  services: string[];
  profiles: string[];
  /** The container port (spec `port`) published on the node's allocated port; null: devport publishes nothing. */
  containerPort: number | null;
  /** devport adds an override file publishing port → containerPort; false when the file publishes `${<PREFIX>_PORT}` itself. */
  override: boolean;
  /** container: ready on the containers' healthchecks (running without one); devport: `node.health` decides; running: running is enough. */
  health: 'container' | 'devport' | 'running';
}

export interface Plan {
  /** 2: environments in layers (baseEnv, sharedEnv, stackEnv, PlanNode.ownEnv). */
  version: 2;
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
  /** Lowest layer of every child's environment: the caller's environment (minus the deny-list and reserved names), then env_file. */
  baseEnv: Record<string, string>;
  /** [env] entries whose value is the same for every node, filled. */
  sharedEnv: Record<string, string>;
  /** <PREFIX>_PORT and <PREFIX>_URL of every node of the plan that has a port, in node order (env_out writes them). */
  stackEnv: Record<string, string>;
  envOut: { file: string; lines: string[]; location?: SourceLocation } | null;
}

/** A node as plan.json holds it: without the `env` view. */
export type StoredPlanNode = Omit<PlanNode, 'env'>;

/** A plan as plan.json holds it (JSON.parse of it): revivePlan makes it a Plan. */
export type StoredPlan = Omit<Plan, 'nodes'> & { nodes: StoredPlanNode[] };
