// The typed spec, built from a validated (cleaned) TOML tree. Every part keeps
// its TOML path so later phases (semantics, plan) can point at the source.

import { DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import type { Path, PositionIndex } from './positions.js';
import type { DEP_CONDITIONS, HEALTH_TYPES, ISOLATION_MODES, RESTART_POLICIES } from './schema.js';
import { isPlainTable } from './validate.js';

export type DepCondition = (typeof DEP_CONDITIONS)[number];
export type RestartPolicy = (typeof RESTART_POLICIES)[number];
export type HealthType = (typeof HEALTH_TYPES)[number];
export type IsolationMode = (typeof ISOLATION_MODES)[number];

export interface EnvEntry {
  name: string;
  value: string;
  path: Path;
}

export interface DepSpec {
  name: string;
  /** undefined: the list form, meaning "ready" (healthy, or completed for a task). */
  condition: DepCondition | undefined;
  path: Path;
}

export interface HealthSpec {
  type: HealthType | undefined;
  intervalMs: number;
  timeoutMs: number;
  probeTimeoutMs: number;
  recheckIntervalMs: number;
  settleMs: number;
  path: string | undefined;
  url: string | undefined;
  command: string[] | undefined;
  expectStatus: number[] | undefined;
  /** The TOML path of the [health] table (may not exist in the file). */
  at: Path;
}

export interface ProcessSpec {
  command: string[];
  cwd: string;
  env: EnvEntry[];
  port: number | undefined;
  noPort: boolean;
  dependsOn: DepSpec[];
  restart: RestartPolicy;
  stopSignal: string;
  stopTimeoutMs: number;
  watch: string[];
  watchIgnore: string[];
  watchDebounceMs: number;
  reloadSignal: string | undefined;
  build: string[] | undefined;
  health: HealthSpec;
}

export interface ExecService extends ProcessSpec {
  type: 'exec';
  name: string;
  path: Path;
}

export interface TaskService extends ProcessSpec {
  type: 'task';
  name: string;
  path: Path;
}

interface RouteBase {
  name: string | undefined;
  prefix: string;
  stripPrefix: boolean;
  fallthrough: boolean;
  path: Path;
}

export interface ExecRoute extends RouteBase, ProcessSpec {
  type: 'exec';
  changeOrigin: boolean;
}

export interface StaticRoute extends RouteBase {
  type: 'static';
  root: string;
  spa: boolean;
}

export interface HttpRoute extends RouteBase {
  type: 'http';
  url: string;
  changeOrigin: boolean;
}

export type RouteSpec = ExecRoute | StaticRoute | HttpRoute;

export interface ProxyService {
  type: 'proxy';
  name: string | undefined;
  port: number | undefined;
  host: string | undefined;
  dependsOn: DepSpec[];
  holdTimeoutMs: number;
  /** Requests the request inspector keeps (0: off). */
  capture: number;
  routes: RouteSpec[];
  path: Path;
}

export interface ComposeService {
  type: 'compose';
  name: string;
  /** undefined: compose's default files in `cwd` (compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml). */
  file: string | undefined;
  /** undefined: the service named like the node, or what `profiles` select (src/compose/file.ts). */
  services: string[] | undefined;
  profiles: string[];
  /** The container port; its published host port is allocated like any node's. */
  port: number | undefined;
  dependsOn: DepSpec[];
  cwd: string;
  stopTimeoutMs: number;
  /** `type` undefined: the containers' own healthchecks decide. */
  health: HealthSpec;
  path: Path;
}

export type ServiceSpec = ExecService | TaskService | ProxyService | ComposeService;

export interface Spec {
  /** Absolute path of the spec file. */
  file: string;
  /** The directory holding it: the project directory. */
  dir: string;
  positions: PositionIndex;
  tmuxSession: string | undefined;
  host: string;
  portRange: [number, number];
  envFiles: { file: string; path: Path }[];
  envOut: string | undefined;
  /** Run the dashboard as a node of the stack (`up --dashboard` does it for one run). */
  dashboard: boolean;
  env: EnvEntry[];
  services: ServiceSpec[];
  isolation: { mode: IsolationMode; offset: number; range: number; scan: number };
}

export { DEFAULTS };

type Table = Record<string, unknown>;

const s = (t: Table, k: string): string | undefined => (typeof t[k] === 'string' ? (t[k] as string) : undefined);
const n = (t: Table, k: string): number | undefined => (typeof t[k] === 'number' ? (t[k] as number) : undefined);
const b = (t: Table, k: string): boolean => t[k] === true;
const list = (t: Table, k: string): string[] | undefined =>
  Array.isArray(t[k]) ? (t[k] as unknown[]).filter((x): x is string => typeof x === 'string') : undefined;
const dur = (t: Table, k: string, fallback: number): number => {
  const v = s(t, k);
  return v === undefined ? fallback : (parseDuration(v) ?? fallback);
};
const table = (t: Table, k: string): Table => (isPlainTable(t[k]) ? (t[k] as Table) : {});

function envEntries(t: Table, path: Path): EnvEntry[] {
  return Object.entries(t).map(([name, value]) => ({ name, value: String(value), path: [...path, name] }));
}

function deps(t: Table, path: Path): DepSpec[] {
  const v = t.depends_on;
  const at = [...path, 'depends_on'];
  if (Array.isArray(v)) return v.map((name, i) => ({ name: String(name), condition: undefined, path: [...at, i] }));
  if (isPlainTable(v)) {
    return Object.entries(v).map(([name, cond]) => ({ name, condition: cond as DepCondition, path: [...at, name] }));
  }
  return [];
}

function health(t: Table, path: Path): HealthSpec {
  const h = table(t, 'health');
  const d = DEFAULTS.health;
  const expect = h.expect_status;
  return {
    type: s(h, 'type') as HealthType | undefined,
    intervalMs: dur(h, 'interval', d.intervalMs),
    timeoutMs: dur(h, 'timeout', d.timeoutMs),
    probeTimeoutMs: dur(h, 'probe_timeout', d.probeTimeoutMs),
    recheckIntervalMs: dur(h, 'recheck_interval', d.recheckIntervalMs),
    settleMs: dur(h, 'settle', d.settleMs),
    path: s(h, 'path'),
    url: s(h, 'url'),
    command: list(h, 'command'),
    expectStatus: typeof expect === 'number' ? [expect] : Array.isArray(expect) ? (expect as number[]) : undefined,
    at: [...path, 'health'],
  };
}

function processSpec(t: Table, path: Path, isTask: boolean): ProcessSpec {
  return {
    command: list(t, 'command') ?? [],
    cwd: s(t, 'cwd') ?? '.',
    env: envEntries(table(t, 'env'), [...path, 'env']),
    port: n(t, 'port'),
    // Tasks listen on nothing unless they ask for a port.
    noPort: b(t, 'no_port') || (isTask && n(t, 'port') === undefined),
    dependsOn: deps(t, path),
    restart: isTask ? 'never' : ((s(t, 'restart') as RestartPolicy | undefined) ?? 'on-failure'),
    stopSignal: s(t, 'stop_signal') ?? DEFAULTS.stopSignal,
    stopTimeoutMs: dur(t, 'stop_timeout', DEFAULTS.stopTimeoutMs),
    watch: list(t, 'watch') ?? [],
    watchIgnore: list(t, 'watch_ignore') ?? [],
    watchDebounceMs: dur(t, 'watch_debounce', DEFAULTS.watchDebounceMs),
    reloadSignal: s(t, 'reload_signal'),
    build: list(t, 'build'),
    health: isTask ? { ...health({}, path), type: 'none' } : health(t, path),
  };
}

function route(t: Table, path: Path): RouteSpec {
  const base: RouteBase = {
    name: s(t, 'name'),
    prefix: s(t, 'path') ?? '/',
    stripPrefix: b(t, 'strip_prefix'),
    fallthrough: b(t, 'fallthrough'),
    path,
  };
  const type = s(t, 'type') ?? 'exec';
  if (type === 'static') return { ...base, type, root: s(t, 'root') ?? '.', spa: b(t, 'spa') };
  if (type === 'http') return { ...base, type, url: s(t, 'url') ?? '', changeOrigin: b(t, 'change_origin') };
  return { ...base, type: 'exec', changeOrigin: b(t, 'change_origin'), ...processSpec(t, path, false) };
}

function service(t: Table, path: Path): ServiceSpec {
  const type = s(t, 'type') ?? 'exec';
  const name = s(t, 'name');
  switch (type) {
    case 'proxy':
      return {
        type,
        name,
        port: n(t, 'port'),
        host: s(t, 'host'),
        dependsOn: deps(t, path),
        holdTimeoutMs: dur(t, 'hold_timeout', DEFAULTS.holdTimeoutMs),
        capture: t.capture === false ? 0 : typeof t.capture === 'number' ? t.capture : DEFAULTS.capture,
        routes: (Array.isArray(t.routes) ? (t.routes as unknown[]) : []).map((r, i) =>
          route(isPlainTable(r) ? r : {}, [...path, 'routes', i]),
        ),
        path,
      };
    case 'compose':
      return {
        type,
        name: name ?? '',
        file: s(t, 'file'),
        services: list(t, 'services'),
        profiles: list(t, 'profiles') ?? [],
        port: n(t, 'port'),
        dependsOn: deps(t, path),
        cwd: s(t, 'cwd') ?? '.',
        stopTimeoutMs: dur(t, 'stop_timeout', DEFAULTS.stopTimeoutMs),
        health: health(t, path),
        path,
      };
    case 'task':
      return { type, name: name ?? '', path, ...processSpec(t, path, true) };
    default:
      return { type: 'exec', name: name ?? '', path, ...processSpec(t, path, false) };
  }
}

export function buildSpec(cleaned: Table, file: string, dir: string, positions: PositionIndex): Spec {
  const envFile = cleaned.env_file;
  const envFiles =
    typeof envFile === 'string'
      ? [{ file: envFile, path: ['env_file'] }]
      : Array.isArray(envFile)
        ? envFile.map((f, i) => ({ file: String(f), path: ['env_file', i] }))
        : [];
  const range = Array.isArray(cleaned.port_range) ? (cleaned.port_range as number[]) : undefined;
  const iso = table(cleaned, 'isolation');
  return {
    file,
    dir,
    positions,
    tmuxSession: s(cleaned, 'tmux_session'),
    host: s(cleaned, 'host') ?? DEFAULTS.host,
    portRange: range && range.length === 2 ? [range[0] ?? 0, range[1] ?? 0] : [...DEFAULTS.portRange],
    envFiles,
    envOut: s(cleaned, 'env_out'),
    dashboard: b(cleaned, 'dashboard'),
    env: envEntries(table(cleaned, 'env'), ['env']),
    services: (Array.isArray(cleaned.service) ? (cleaned.service as unknown[]) : []).map((t, i) =>
      service(isPlainTable(t) ? t : {}, ['service', i]),
    ),
    isolation: {
      mode: (s(iso, 'mode') as IsolationMode | undefined) ?? DEFAULTS.isolation.mode,
      offset: n(iso, 'offset') ?? DEFAULTS.isolation.offset,
      range: n(iso, 'range') ?? DEFAULTS.isolation.range,
      scan: n(iso, 'scan') ?? DEFAULTS.isolation.scan,
    },
  };
}
