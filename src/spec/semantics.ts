// Checks across fields and services: names, keys, dependencies, routes,
// reserved env names. Runs even when structural validation failed, on what
// was valid, so one run reports every mistake.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { failure, type Failure } from '../errors/failure.js';
import { isReservedKey, RESERVED_KEYS } from '../state/dirs.js';
import type { DepCondition, DepSpec, Spec } from './model.js';
import type { Path } from './positions.js';
import { closest } from './suggest.js';
import { composeFiles, DEFAULT_FILES, readComposeServices } from '../compose/file.js';
import type { TreeNode } from './tree.js';
import { fieldRef } from './where.js';

export function isHttpUrl(url: string): boolean {
  return /^https?:\/\/[^/]/.test(url);
}

export interface ResolvedDep {
  key: string;
  condition: DepCondition;
}

/** Names devport sets itself; the spec may not set them (the shell's are dropped). */
export function isReservedEnvName(name: string, prefixes: ReadonlySet<string>): boolean {
  if (name === 'PORT' || name === 'HOST' || name.startsWith('DEVPORT_')) return true;
  const m = /^(.*)_(PORT|URL)$/.exec(name);
  return m !== null && prefixes.has(m[1] ?? '');
}

export class Semantics {
  readonly failures: Failure[] = [];
  readonly deps = new Map<string, ResolvedDep[]>();

  constructor(
    private readonly spec: Spec,
    private readonly tree: readonly TreeNode[],
    private readonly raw: unknown,
  ) {}

  run(): void {
    this.checkNames();
    this.checkKeys();
    this.checkPorts();
    this.checkWatch();
    this.checkRoutes();
    this.checkHealth();
    this.checkCompose();
    this.checkEnv();
    this.resolveDeps();
    this.checkCycles();
  }

  private error(at: Path, message: string, hint?: string, span: 'value' | 'key' | 'table' = 'value'): void {
    const p = this.spec.positions;
    const s = span === 'key' ? p.keySpan(at) : span === 'table' ? p.tableSpan(at) : p.valueSpan(at);
    this.failures.push(failure('SPEC_INVALID', message, { hint, location: p.locate(s) }));
  }

  private where(at: Path): string {
    return this.spec.positions.locate(this.spec.positions.valueSpan(at)).line.toString();
  }

  private checkNames(): void {
    const seen = new Map<string, Path>();
    for (const svc of this.spec.services) {
      if (svc.name === undefined || svc.name === '') continue;
      const first = seen.get(svc.name);
      if (first) {
        this.error([...svc.path, 'name'], `duplicate service name "${svc.name}"`, `"${svc.name}" is first defined on line ${this.where([...first, 'name'])}; names must be unique`);
      } else seen.set(svc.name, svc.path);
    }
  }

  private checkKeys(): void {
    const seen = new Map<string, TreeNode>();
    for (const node of this.tree) {
      if (isReservedKey(node.key)) {
        const what = node.parent ? 'route' : 'service';
        const key = node.key === node.name ? '' : ` (key "${node.key}")`;
        this.error(
          [...node.path, 'name'],
          `${what} name "${node.name}"${key} is reserved: devport keeps its own .devport/${node.key}/`,
          `choose another name; devport reserves ${[...RESERVED_KEYS].sort().map((k) => `"${k}"`).join(', ')}`,
        );
        continue;
      }
      const first = seen.get(node.key);
      if (!first) {
        seen.set(node.key, node);
        continue;
      }
      if (first.name === node.name && !first.parent && !node.parent) continue; // reported as a duplicate name
      this.error(
        [...node.path, 'name'],
        `key "${node.key}" of "${node.name}" collides with "${first.name}" (line ${this.where([...first.path, 'name'])})`,
        'rename one of them: a key is the name upper-cased for env, lower-cased for .devport/, with non-alphanumerics as "_"',
      );
    }
  }

  private checkPorts(): void {
    const [lo, hi] = this.spec.portRange;
    if (lo > hi) this.error(['port_range'], `port_range [${lo}, ${hi}] is empty: the first port is above the last`, `write port_range = [${hi}, ${lo}]`);
    const fixed = new Map<number, TreeNode>();
    for (const node of this.tree) {
      const spec = node.spec;
      if (spec.type === 'compose') continue;
      if (spec.type !== 'proxy' && spec.port !== undefined && spec.noPort && this.rawHas([...node.path, 'no_port'])) {
        this.error([...node.path, 'port'], `"port" and "no_port = true" contradict each other in "${node.name}"`, 'remove one: `port = N` fixes the port, `no_port = true` gives none');
      }
      if (spec.port === undefined) continue;
      const other = fixed.get(spec.port);
      if (other) {
        this.error([...node.path, 'port'], `port ${spec.port} of "${node.name}" is also the fixed port of "${other.name}"`, 'give each service its own port, or omit `port` to have one allocated');
      } else fixed.set(spec.port, node);
    }
  }

  /** watch_debounce, watch_ignore and reload_signal act only on a service that watches something. */
  private checkWatch(): void {
    for (const node of this.tree) {
      const spec = node.spec;
      if (spec.type !== 'exec' && spec.type !== 'task') continue;
      if (spec.watch.length > 0) continue;
      for (const key of ['watch_debounce', 'watch_ignore', 'reload_signal']) {
        if (this.rawHas([...node.path, key])) this.error([...node.path, key], `"${key}" has no effect: "${node.name}" watches nothing`, 'add watch = ["src/**/*"] (globs relative to its cwd), or remove it', 'key');
      }
    }
  }

  /** Whether the validated tree holds a value at `at` (invalid values were dropped). */
  private rawHas(at: Path): boolean {
    let v: unknown = this.raw;
    for (const seg of at) {
      if (v === null || typeof v !== 'object') return false;
      v = (v as Record<string | number, unknown>)[seg];
    }
    return v !== undefined;
  }

  private checkRoutes(): void {
    for (const svc of this.spec.services) {
      if (svc.type !== 'proxy') continue;
      const prefixes = new Map<string, Path>();
      for (const route of svc.routes) {
        const label = route.name ? `"${route.name}"` : `for "${route.prefix}"`;
        if (!route.prefix.startsWith('/')) {
          this.error([...route.path, 'path'], `route path "${route.prefix}" must start with "/"`, `write path = "/${route.prefix}"`);
        } else {
          const norm = route.prefix.replace(/\/+$/, '') || '/';
          const first = prefixes.get(norm);
          if (first) {
            this.error([...route.path, 'path'], `route path "${route.prefix}" is already routed on line ${this.where([...first, 'path'])}`, 'each path prefix of a proxy needs exactly one route');
          } else prefixes.set(norm, route.path);
        }
        if (route.type === 'static' && this.rawHas([...route.path, 'root'])) {
          const abs = path.resolve(this.spec.dir, route.root);
          if (!existsSync(abs)) {
            this.error([...route.path, 'root'], `static root "${route.root}" of route ${label} does not exist (${abs})`, 'create or build that directory first, or fix `root` (it is relative to the spec)');
          } else if (!statSync(abs).isDirectory()) {
            this.error([...route.path, 'root'], `static root "${route.root}" of route ${label} is not a directory`, '`root` names the directory to serve');
          }
        }
        // A templated URL is checked by the planner once it is filled.
        if (route.type === 'http' && route.url !== '' && !route.url.includes('$') && !isHttpUrl(route.url)) {
          this.error([...route.path, 'url'], `url "${route.url}" of route ${label} is not an http:// or https:// URL`, 'write url = "http://127.0.0.1:9000"');
        }
      }
    }
  }

  private checkHealth(): void {
    for (const node of this.tree) {
      const spec = node.spec;
      if (spec.type === 'proxy' || spec.type === 'compose' || spec.type === 'task') continue;
      const h = spec.health;
      const at = [...h.at, 'type'];
      if (spec.noPort && (h.type === 'tcp' || (h.type === 'http' && h.url === undefined))) {
        this.error(at, `${h.type} health of "${node.name}" needs a port, but it has no_port = true`, h.type === 'http' ? 'give the health check a full `url`, or use type = "process"' : 'use type = "process" or "cmd"');
      }
      if (h.type === 'cmd' && (h.command === undefined || h.command.length === 0) && this.rawHas(at)) {
        this.error(at, `cmd health of "${node.name}" has no "command"`, 'add command = ["pg_isready", "-p", "${PORT}"] to the [service.health] table');
      }
      if (spec.command.length === 0 && this.rawHas([...node.path, 'command'])) {
        this.error([...node.path, 'command'], `"command" of "${node.name}" is empty`, 'name the program to run: command = ["node", "server.js"]');
      }
    }
  }

  /** A compose node's file exists, the services it lists are in it, its health is one a container can have. */
  private checkCompose(): void {
    for (const node of this.tree) {
      const spec = node.spec;
      if (spec.type !== 'compose') continue;
      const cwd = path.resolve(this.spec.dir, spec.cwd);
      if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
        this.error([...node.path, 'cwd'], `cwd "${spec.cwd}" of "${node.name}" is not a directory (${cwd})`, 'create it, or fix `cwd` (it is relative to the spec)');
        continue;
      }
      const files = composeFiles(this.spec.dir, cwd, spec.file);
      if (spec.file !== undefined) {
        const abs = path.resolve(this.spec.dir, spec.file);
        if (!existsSync(abs) || !statSync(abs).isFile()) {
          this.error([...node.path, 'file'], `compose file "${spec.file}" of "${node.name}" does not exist (${abs})`, 'fix `file` (it is relative to the spec)');
          continue;
        }
      } else if (!files) {
        this.error(
          [...node.path, 'type'],
          `no compose file for "${node.name}": none of ${DEFAULT_FILES.join(', ')} is in ${cwd}`,
          'name it: file = "path/to/compose.yaml" (relative to the spec)',
        );
        continue;
      }
      if (spec.services !== undefined && spec.services.length === 0 && this.rawHas([...node.path, 'services'])) {
        this.error([...node.path, 'services'], `"services" of "${node.name}" lists no service`, `name at least one, or omit it (the default is the service named "${node.name}")`);
      }
      const read = files ? readComposeServices(files) : undefined;
      if (read?.ok && spec.services) {
        const known = [...read.services.keys()];
        spec.services.forEach((svc, i) => {
          if (read.services.has(svc)) return;
          const near = closest(svc, known);
          this.error([...node.path, 'services', i], `compose service "${svc}" of "${node.name}" is not in ${files?.map((f) => path.basename(f)).join(' + ')}`, near ? `did you mean "${near}"?` : `its services are: ${known.join(', ') || 'none'}`);
        });
      }
      if (spec.health.type === 'process') {
        this.error([...spec.health.at, 'type'], `process health has no meaning for compose service "${node.name}": devport runs no process of it`, 'omit [service.health] to wait for the containers\' own healthchecks; type = "none" waits only until they run; or probe with tcp, http or cmd');
      }
    }
  }

  private checkEnv(): void {
    const prefixes = new Set(this.tree.map((n) => n.prefix));
    const lists = [this.spec.env, ...this.tree.flatMap((n) => ('env' in n.spec ? [n.spec.env] : []))];
    for (const entries of lists) {
      for (const e of entries) {
        if (isReservedEnvName(e.name, prefixes)) {
          this.error(e.path, `${fieldRef(e.path, this.raw)} is reserved: devport sets it`, 'devport sets PORT, HOST, DEVPORT_* and <SERVICE>_PORT / <SERVICE>_URL itself; use another name', 'key');
        }
      }
    }
  }

  #byKey: Map<string, TreeNode> | undefined;
  #byName: Map<string, TreeNode[]> | undefined;

  /** The node with this key, else every node with this name (indexed once: a scan per dependency was n²). */
  private lookup(name: string): TreeNode[] {
    if (!this.#byKey || !this.#byName) {
      this.#byKey = new Map();
      this.#byName = new Map();
      for (const n of this.tree) {
        if (!this.#byKey.has(n.key)) this.#byKey.set(n.key, n);
        const same = this.#byName.get(n.name);
        if (same) same.push(n);
        else this.#byName.set(n.name, [n]);
      }
    }
    const byKey = this.#byKey.get(name);
    return byKey ? [byKey] : [...(this.#byName.get(name) ?? [])];
  }

  private resolveDeps(): void {
    for (const node of this.tree) {
      const resolved: ResolvedDep[] = [];
      const deps: DepSpec[] = 'dependsOn' in node.spec ? node.spec.dependsOn : [];
      for (const dep of deps) {
        const found = this.lookup(dep.name);
        const target = found[0];
        if (!target) {
          const near = closest(dep.name, this.tree.flatMap((n) => [n.name, n.key]));
          this.error(dep.path, `"${node.name}" depends on unknown service "${dep.name}"`, near ? `did you mean "${near}"?` : `the services are: ${this.tree.map((n) => n.key).join(', ')}`, typeof dep.path.at(-1) === 'string' ? 'key' : 'value');
          continue;
        }
        if (found.length > 1) {
          this.error(dep.path, `"${dep.name}" in depends_on of "${node.name}" is ambiguous: ${found.map((n) => n.key).join(', ')}`, `name it by key: ${found.map((n) => `"${n.key}"`).join(' or ')}`);
          continue;
        }
        if (target === node) {
          this.error(dep.path, `"${node.name}" depends on itself`, 'remove it from its own depends_on');
          continue;
        }
        const isTask = target.kind === 'task';
        const condition: DepCondition = dep.condition ?? (isTask ? 'completed' : 'healthy');
        if (condition === 'healthy' && isTask) {
          this.error(dep.path, `"${node.name}" waits for task "${target.name}" to be healthy, but tasks complete`, `write { ${target.name} = "completed" }`);
        } else if (condition === 'completed' && !isTask) {
          this.error(dep.path, `"${node.name}" waits for "${target.name}" to complete, but only tasks complete`, `write { ${target.name} = "healthy" } or { ${target.name} = "started" }`);
        }
        resolved.push({ key: target.key, condition });
      }
      this.deps.set(node.key, resolved);
    }
  }

  private checkCycles(): void {
    const byKey = new Map(this.tree.map((n) => [n.key, n]));
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const reported = new Set<string>();
    const visit = (key: string): void => {
      state.set(key, 'visiting');
      stack.push(key);
      for (const dep of this.deps.get(key) ?? []) {
        const s = state.get(dep.key);
        if (s === 'visiting') {
          const cycle = [...stack.slice(stack.indexOf(dep.key)), dep.key];
          const id = [...new Set(cycle)].sort().join(',');
          if (!reported.has(id)) {
            reported.add(id);
            const from = byKey.get(key);
            const entry = from && 'dependsOn' in from.spec ? from.spec.dependsOn.find((d) => this.lookup(d.name)[0]?.key === dep.key) : undefined;
            const names = cycle.map((k) => byKey.get(k)?.name ?? k);
            this.error(entry?.path ?? from?.path ?? [], `dependency cycle: ${names.join(' → ')}`, 'remove one of these depends_on entries');
          }
        } else if (s === undefined) visit(dep.key);
      }
      stack.pop();
      state.set(key, 'done');
    };
    for (const node of this.tree) if (!state.has(node.key)) visit(node.key);
  }
}
