// LoadedSpec → Plan: select nodes, choose ports, build each node's env, fill
// templates, order the start into dependency waves.

import path from 'node:path';
import { fail, failure, ok, type Failure, type Result } from '../errors/failure.js';
import type { LoadedSpec } from '../spec/load.js';
import type { HealthSpec, ProcessSpec } from '../spec/model.js';
import type { Path } from '../spec/positions.js';
import { isHttpUrl } from '../spec/semantics.js';
import { closest } from '../spec/suggest.js';
import type { TreeNode } from '../spec/tree.js';
import { ownValue, withEnvViews } from './child-env.js';
import { expandEntries, inheritedEnv, readEnvFiles, TemplateFiller, type Lookup } from './env.js';
import { detectIsolation, isolateDatabaseUrl, isolatedPortCandidates, type Isolation } from './isolation.js';
import { portChecker, type PortChecker } from './listening.js';
import { allocatePorts, type PortRequest } from './ports.js';
import type { Plan, PlanHealth, PlanNode, PlanRoute, StoredPlanNode } from './types.js';
import { DEFAULTS } from '../spec/defaults.js';
import { fnv1a } from '../util/hash.js';
import { dependencyWaves } from './waves.js';
import { planCompose } from '../compose/node-plan.js';
import { DASHBOARD_KEY } from '../dashboard/key.js';

export interface PlanOptions {
  env: NodeJS.ProcessEnv;
  /** --host: overrides the bind address. */
  host?: string | undefined;
  /** --only: these nodes (by key or name) and what they depend on. */
  only?: readonly string[] | undefined;
  /** Ports held by live state dirs, by key. */
  claimed?: ReadonlyMap<string, number>;
  checker?: PortChecker;
  /** `up --profile`: compose profiles added to every compose node's. */
  profiles?: readonly string[] | undefined;
  /** `up --dashboard`: the dashboard node, as `dashboard = true` in the spec adds it. */
  dashboard?: boolean | undefined;
}

/** devport-<dir name>-<hash of the dir>: two projects whose directories share a name never share a session. */
export function defaultTmuxSession(projectDir: string, isolationId: string): string {
  const base = path.basename(projectDir).replace(/[^A-Za-z0-9_-]+/g, '_') || 'project';
  const id = (fnv1a(projectDir) % 36 ** 4).toString(36).padStart(4, '0');
  return isolationId ? `devport-${base}-${id}-${isolationId}` : `devport-${base}-${id}`;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** The keys to run for --only: the named nodes, what they depend on, and a named proxy's routes. */
function selectNodes(loaded: LoadedSpec, only: readonly string[] | undefined): Result<Set<string>> {
  const all = new Set(loaded.tree.map((n) => n.key));
  if (!only || only.length === 0) return ok(all);
  const failures: Failure[] = [];
  const selected = new Set<string>();
  const routesOf = new Map<string, string[]>();
  for (const n of loaded.tree) {
    if (!n.parent) continue;
    const list = routesOf.get(n.parent.key);
    if (list) list.push(n.key);
    else routesOf.set(n.parent.key, [n.key]);
  }
  const add = (key: string): void => {
    if (selected.has(key)) return;
    selected.add(key);
    for (const d of loaded.deps.get(key) ?? []) add(d.key);
    for (const child of routesOf.get(key) ?? []) add(child);
  };
  for (const name of only) {
    const node = loaded.tree.find((n) => n.key === name) ?? loaded.tree.find((n) => n.name === name);
    if (node) add(node.key);
    else {
      const near = closest(name, loaded.tree.flatMap((n) => [n.key, n.name]));
      failures.push(
        failure('SERVICE_UNKNOWN', `--only names unknown service "${name}"`, {
          hint: near ? `did you mean "${near}"?` : `the services are: ${loaded.tree.map((n) => n.key).join(', ')}`,
        }),
      );
    }
  }
  return failures.length > 0 ? fail(...failures) : ok(selected);
}

function processOf(node: TreeNode): ProcessSpec | undefined {
  const s = node.spec;
  return s.type === 'exec' || s.type === 'task' ? s : undefined;
}

export async function makePlan(loaded: LoadedSpec, opts: PlanOptions): Promise<Result<Plan>> {
  const { spec } = loaded;
  const selection = selectNodes(loaded, opts.only);
  if (!selection.ok) return selection;
  const nodes = loaded.tree.filter((n) => selection.value.has(n.key));
  const iso: Isolation = detectIsolation(spec, opts.env);
  const stateDir = path.join(spec.dir, '.devport');
  const host = opts.host ?? spec.host;

  // Ports.
  const requests: PortRequest[] = [];
  for (const n of nodes) {
    const s = n.spec;
    // A compose node's host port is allocated like any other (its `port` is the container's).
    if (s.type === 'compose') {
      requests.push({ key: n.key, name: n.name, fixed: undefined });
      continue;
    }
    if (s.type !== 'proxy' && s.noPort) continue;
    requests.push({ key: n.key, name: n.name, fixed: s.port === undefined ? undefined : isolatedPortCandidates(s.port, iso) });
  }
  const withDashboard = opts.dashboard === true || spec.dashboard;
  if (withDashboard) {
    const taken = loaded.tree.find((n) => n.key === DASHBOARD_KEY);
    if (taken) {
      return fail(
        failure('SPEC_INVALID', `service "${taken.name}" has the key ${DASHBOARD_KEY}, which the dashboard node uses`, {
          hint: 'rename that service, or run the dashboard in the foreground (`devport dashboard`)',
          location: spec.positions.locate(spec.positions.valueSpan([...taken.path, 'name'])),
        }),
      );
    }
    // Allocated like any port: stable per project, so a bookmarked URL keeps its port.
    requests.push({ key: DASHBOARD_KEY, name: 'dashboard', fixed: undefined });
  }
  const alloc = await allocatePorts({
    projectDir: spec.dir,
    range: spec.portRange,
    requests,
    claimed: opts.claimed ?? new Map(),
    checker: opts.checker ?? portChecker(),
  });
  if (!alloc.ok) return alloc;
  const ports = alloc.ports;

  // A route's node by its spec (a find per route was n² for a proxy with many routes).
  const nodeOfSpec = new Map<unknown, TreeNode>(loaded.tree.map((t) => [t.spec, t]));
  const bindHost = (n: TreeNode): string => {
    if (opts.host !== undefined) return opts.host;
    return n.spec.type === 'proxy' ? (n.spec.host ?? spec.host) : spec.host;
  };
  const urlOf = (n: TreeNode): string | null => {
    const p = ports.get(n.key);
    return p === undefined ? null : `http://${urlHost(bindHost(n))}:${p}`;
  };

  // Env, in the layers child-env.ts describes: what every node shares is kept once
  // (baseEnv, stackEnv, sharedEnv); per node only what is its own, and names are looked
  // up through the layers, never copied whole per node (that grew with n²).
  const prefixes = new Set(loaded.tree.map((n) => n.prefix));
  const files = readEnvFiles(spec, prefixes);
  const baseEnv: Record<string, string> = { ...inheritedEnv(opts.env, prefixes), ...files.env };
  const stackEnv: Record<string, string> = {};
  for (const n of nodes) {
    const p = ports.get(n.key);
    const url = urlOf(n);
    if (p !== undefined) stackEnv[`${n.prefix}_PORT`] = String(p);
    if (url !== null) stackEnv[`${n.prefix}_URL`] = url;
  }
  const fileNames = Object.keys(files.env);
  // Candidates for "did you mean", only when a name is unknown (in the order a whole copy had).
  const baseStackNames = () => [...Object.keys(baseEnv), ...Object.keys(stackEnv)];

  const filler = new TemplateFiller(spec, loaded.raw);
  const urlFailures: Failure[] = [];
  const badUrl = (at: Path, url: string) =>
    urlFailures.push(
      failure('SPEC_INVALID', `route url is "${url}" once filled: not an http:// or https:// URL`, {
        hint: 'write url = "http://127.0.0.1:9000", or check the variables it uses',
        location: spec.positions.locate(spec.positions.valueSpan([...at, 'url'])),
      }),
    );
  const planNodes: StoredPlanNode[] = [];
  /** Per node: its [env] filled, and the rest of its own env (service env, isolated DATABASE_URL, reserved). */
  const perNode: { global: Record<string, string>; rest: Record<string, string> }[] = [];
  for (const n of nodes) {
    const port = ports.get(n.key);
    // devport's names for this node; with stackEnv, the reserved ones (shared by no other layer).
    const reserved: Record<string, string> = { HOST: bindHost(n), DEVPORT_KEY: n.key, DEVPORT_PROJECT_DIR: spec.dir, DEVPORT_ID: iso.id };
    if (port !== undefined) reserved.PORT = String(port);
    const outer: Lookup = (k) => ownValue(reserved, k) ?? ownValue(stackEnv, k) ?? ownValue(baseEnv, k);
    const outerNames = () => [...baseStackNames(), ...Object.keys(reserved)];
    const global = expandEntries(spec.env, outer, outerNames, filler, n.name);
    const proc = processOf(n);
    const own = proc ? expandEntries(proc.env, (k) => ownValue(global, k) ?? outer(k), () => [...outerNames(), ...Object.keys(global)], filler, '') : {};
    // The whole environment, one name at a time: devport's names, the service's env, [env], base.
    const layered: Lookup = (k) => ownValue(reserved, k) ?? ownValue(stackEnv, k) ?? ownValue(own, k) ?? ownValue(global, k) ?? ownValue(baseEnv, k);
    const rest: Record<string, string> = { ...own };
    const db = layered('DATABASE_URL');
    const isolatedDb = db === undefined ? undefined : isolateDatabaseUrl(db, iso, spec.dir);
    if (isolatedDb !== db && isolatedDb !== undefined) rest.DATABASE_URL = isolatedDb;
    Object.assign(rest, reserved);
    perNode.push({ global, rest });
    const lookup: Lookup = (k) => (k === 'DATABASE_URL' && isolatedDb !== undefined ? isolatedDb : layered(k));
    const names = () => [...Object.keys(baseEnv), ...Object.keys(global), ...Object.keys(own), ...Object.keys(stackEnv), ...Object.keys(reserved)];
    const fill = (text: string, at: Path) => filler.fill(text, at, '', lookup, names);
    // The stack's <PREFIX>_PORT/_URL are the same for every node: render shows them once.
    const envNames = [...new Set([...fileNames, ...Object.keys(global), ...Object.keys(own), ...Object.keys(reserved)])].sort();

    planNodes.push({
      key: n.key,
      name: n.name,
      prefix: n.prefix,
      kind: n.kind,
      parent: n.parent?.key ?? null,
      command: proc ? proc.command.map((arg, i) => fill(arg, [...n.path, 'command', i])) : [],
      cwd: path.resolve(spec.dir, proc ? fill(proc.cwd, [...n.path, 'cwd']) : n.spec.type === 'compose' ? n.spec.cwd : '.'),
      port: port ?? null,
      portSource: port === undefined ? 'none' : n.spec.type !== 'compose' && n.spec.port !== undefined ? 'fixed' : 'allocated',
      host: bindHost(n),
      url: urlOf(n),
      ownEnv: rest, // completed below, once the shared [env] entries are known
      envNames,
      health: planHealth(n, proc?.health ?? (n.spec.type === 'compose' ? n.spec.health : undefined), port, fill),
      restart: proc ? proc.restart : 'on-failure',
      stopSignal: proc ? proc.stopSignal : 'SIGTERM',
      stopTimeoutMs: proc ? proc.stopTimeoutMs : DEFAULTS.stopTimeoutMs,
      dependsOn: (loaded.deps.get(n.key) ?? []).filter((d) => selection.value.has(d.key)),
      watch: proc ? proc.watch : [],
      watchIgnore: proc ? proc.watchIgnore : [],
      watchDebounceMs: proc ? proc.watchDebounceMs : DEFAULTS.watchDebounceMs,
      reloadSignal: proc?.reloadSignal ?? null,
      build: proc?.build ? proc.build.map((arg, i) => fill(arg, [...n.path, 'build', i])) : null,
      proxy: n.spec.type === 'proxy' ? proxyPlan(n, nodeOfSpec, spec.dir, fill, badUrl) : null,
      compose: n.spec.type === 'compose' ? planCompose(n.spec, { specDir: spec.dir, isolationId: iso.id, prefix: n.prefix, extraProfiles: opts.profiles }) : null,
    });
  }

  const dashboardPort = ports.get(DASHBOARD_KEY);
  if (withDashboard && dashboardPort !== undefined) planNodes.push(dashboardNode(spec.dir, dashboardPort));

  // [env] entries that fill to the same value for every node are stored once; the others
  // (those using ${PORT}, ${HOST}, ${DEVPORT_KEY}…) stay with their node, under its service env.
  const sharedEnv: Record<string, string> = {};
  const first = perNode[0]?.global ?? {};
  for (const { name } of spec.env) {
    const v = ownValue(first, name);
    if (v !== undefined && perNode.every((p) => ownValue(p.global, name) === v)) sharedEnv[name] = v;
  }
  planNodes.forEach((node, i) => {
    const p = perNode[i];
    if (!p) return;
    const mine: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.global)) if (!Object.hasOwn(sharedEnv, k)) mine[k] = v;
    node.ownEnv = { ...mine, ...p.rest };
  });

  const failures = [...files.failures, ...filler.failures, ...urlFailures];
  if (failures.length > 0) return fail(...failures);

  const envOut = spec.envOut
    ? {
        file: path.resolve(spec.dir, spec.envOut),
        lines: Object.entries(stackEnv).map(([k, v]) => `${k}=${v}`),
        location: spec.positions.locate(spec.positions.valueSpan(['env_out'])),
      }
    : null;

  return ok(
    withEnvViews({
      version: 2,
      spec: spec.file,
      projectDir: spec.dir,
      stateDir,
      tmuxSession: spec.tmuxSession ? (iso.id ? `${spec.tmuxSession}-${iso.id}` : spec.tmuxSession) : defaultTmuxSession(spec.dir, iso.id),
      isolationId: iso.id,
      runId: null,
      waves: dependencyWaves(planNodes),
      nodes: planNodes,
      baseEnv,
      sharedEnv,
      stackEnv,
      envOut,
    }),
  );
}

/**
 * The dashboard node: its server runs in its own sidecar, on 127.0.0.1 whatever the stack's
 * host (it can stop the stack). Not in the stack's env: services have no use for its URL.
 */
function dashboardNode(dir: string, port: number): StoredPlanNode {
  return {
    key: DASHBOARD_KEY,
    name: 'dashboard',
    prefix: DASHBOARD_KEY.toUpperCase(),
    kind: 'dashboard',
    parent: null,
    command: [],
    cwd: dir,
    port,
    portSource: 'allocated',
    host: '127.0.0.1',
    url: `http://127.0.0.1:${port}`,
    ownEnv: {},
    envNames: [],
    health: { type: 'none', ...DEFAULTS.health, url: null, command: null, expectStatus: null },
    restart: 'on-failure',
    stopSignal: 'SIGTERM',
    stopTimeoutMs: DEFAULTS.stopTimeoutMs,
    dependsOn: [],
    watch: [],
    watchIgnore: [],
    watchDebounceMs: DEFAULTS.watchDebounceMs,
    reloadSignal: null,
    build: null,
    proxy: null,
    compose: null,
  };
}

function planHealth(n: TreeNode, h: HealthSpec | undefined, port: number | undefined, fill: (text: string, at: Path) => string): PlanHealth {
  const d = DEFAULTS.health;
  const timing = h ? { intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, probeTimeoutMs: h.probeTimeoutMs, recheckIntervalMs: h.recheckIntervalMs, settleMs: h.settleMs } : d;
  const none = { url: null, command: null, expectStatus: null };
  if (n.kind === 'task') return { type: 'none', ...timing, ...none };
  if (n.kind === 'proxy') return { type: port === undefined ? 'process' : 'tcp', ...timing, ...none };
  // A compose node: the containers' healthchecks unless [service.health] names a probe.
  if (n.kind === 'compose' && (h?.type === undefined || h.type === 'none' || h.type === 'process')) return { type: 'none', ...timing, ...none };
  const type = h?.type ?? (port === undefined ? 'process' : 'tcp');
  let url: string | null = null;
  if (type === 'http' && h) {
    if (h.url !== undefined) url = fill(h.url, [...h.at, 'url']);
    else {
      const p = h.path === undefined ? '/' : fill(h.path, [...h.at, 'path']);
      url = `http://localhost:${port ?? 0}${p.startsWith('/') ? p : `/${p}`}`;
    }
  }
  return {
    type,
    ...timing,
    url,
    command: type === 'cmd' && h?.command ? h.command.map((a, i) => fill(a, [...h.at, 'command', i])) : null,
    expectStatus: h?.expectStatus ?? null,
  };
}

function proxyPlan(
  n: TreeNode,
  nodeOfSpec: ReadonlyMap<unknown, TreeNode>,
  dir: string,
  fill: (text: string, at: Path) => string,
  badUrl: (at: Path, url: string) => void,
): PlanNode['proxy'] {
  const s = n.spec;
  if (s.type !== 'proxy') return null;
  const routes: PlanRoute[] = s.routes.map((r) => {
    const common = { prefix: r.prefix, stripPrefix: r.stripPrefix, fallthrough: r.fallthrough };
    switch (r.type) {
      case 'exec': {
        const child = nodeOfSpec.get(r);
        return { type: 'exec', ...common, name: r.name ?? '', key: child?.key ?? '', changeOrigin: r.changeOrigin };
      }
      case 'static':
        return { type: 'static', ...common, name: r.name ?? null, root: path.resolve(dir, r.root), spa: r.spa };
      case 'http': {
        const url = fill(r.url, [...r.path, 'url']);
        if (!url.includes('${') && !isHttpUrl(url)) badUrl(r.path, url);
        return { type: 'http', ...common, name: r.name ?? null, url, changeOrigin: r.changeOrigin };
      }
      default: {
        const never: never = r;
        return never;
      }
    }
  });
  return { holdTimeoutMs: s.holdTimeoutMs, capture: s.capture, routes };
}
