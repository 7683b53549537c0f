// The one schema of devport.toml. The validator walks it; json-schema.ts turns
// it into spec/devport.schema.json for editors. Add a key here and both know it.

export type SchemaNode =
  | { kind: 'string'; description: string; enum?: readonly string[]; example?: string }
  | { kind: 'integer'; description: string; minimum?: number; maximum?: number; example?: string }
  | { kind: 'boolean'; description: string; example?: string }
  | { kind: 'duration'; description: string; example?: string }
  | { kind: 'signal'; description: string; example?: string }
  | { kind: 'port'; description: string; example?: string }
  | { kind: 'list'; description: string; items: SchemaNode; minItems?: number; maxItems?: number; example?: string }
  | { kind: 'map'; description: string; values: SchemaNode; example?: string }
  | { kind: 'anyOf'; description: string; variants: readonly SchemaNode[]; example?: string }
  | TableNode
  | TaggedNode
  | { kind: 'tables'; description: string; item: TableNode | TaggedNode; example?: string };

export interface TableNode {
  kind: 'table';
  description: string;
  fields: Readonly<Record<string, SchemaNode>>;
  required?: readonly string[];
  example?: string;
}

/** A table whose allowed keys depend on one of its keys (`type`). */
export interface TaggedNode {
  kind: 'tagged';
  description: string;
  tag: string;
  defaultTag: string;
  variants: Readonly<Record<string, TableNode>>;
  example?: string;
}

const str = (description: string, example?: string): SchemaNode => ({ kind: 'string', description, example });
const bool = (description: string, example?: string): SchemaNode => ({ kind: 'boolean', description, example });
const dur = (description: string, example?: string): SchemaNode => ({ kind: 'duration', description, example });
const strList = (description: string, example?: string): SchemaNode => ({
  kind: 'list',
  description,
  items: { kind: 'string', description: '' },
  example,
});
const envValue: SchemaNode = {
  kind: 'anyOf',
  description: 'a value; ${NAME} templates are filled from the stack env',
  variants: [
    { kind: 'string', description: '' },
    { kind: 'integer', description: '' },
    { kind: 'boolean', description: '' },
  ],
};

export const DEP_CONDITIONS = ['healthy', 'started', 'completed'] as const;
export const RESTART_POLICIES = ['never', 'on-failure', 'always'] as const;
export const HEALTH_TYPES = ['tcp', 'http', 'cmd', 'process', 'none'] as const;
export const ISOLATION_MODES = ['worktree', 'always', 'off'] as const;

const health: TableNode = {
  kind: 'table',
  description: 'how devport knows the service is up',
  example: '[service.health]\ntype = "http"\npath = "/healthz"',
  fields: {
    type: {
      kind: 'string',
      enum: HEALTH_TYPES,
      description: 'tcp: the port accepts; http: GET answers 2xx/3xx; cmd: command exits 0; process: alive past `settle`; none',
      example: 'type = "tcp"',
    },
    interval: dur('the longest pause between probes while starting: each pause is a tenth of the time waited so far, from 10 ms up to this (default 200ms)', 'interval = "200ms"'),
    timeout: dur('time allowed to become healthy (default 30s)', 'timeout = "30s"'),
    probe_timeout: dur('time one probe may take (default 2s)', 'probe_timeout = "2s"'),
    recheck_interval: dur('time between probes once healthy (default 2s)', 'recheck_interval = "2s"'),
    settle: dur('process health: how long the child must stay alive (default 300ms)', 'settle = "300ms"'),
    path: str('http: a bare path probes http://localhost:${PORT}<path>', 'path = "/healthz"'),
    url: str('http: the full URL to probe; ${…} templates allowed', 'url = "http://127.0.0.1:${PORT}/healthz"'),
    command: strList('cmd: the probe command, healthy on exit 0', 'command = ["pg_isready", "-p", "${PORT}"]'),
    expect_status: {
      kind: 'anyOf',
      description: 'http: the status (or list) that counts as healthy; default any 2xx/3xx',
      example: 'expect_status = 200',
      variants: [
        { kind: 'integer', description: '', minimum: 100, maximum: 599 },
        { kind: 'list', description: '', items: { kind: 'integer', description: '', minimum: 100, maximum: 599 } },
      ],
    },
  },
};

const dependsOn: SchemaNode = {
  kind: 'anyOf',
  description: 'services that must be ready first: a list (= healthy) or { name = "healthy" | "started" | "completed" }',
  example: 'depends_on = ["db"]',
  variants: [
    strList(''),
    { kind: 'map', description: '', values: { kind: 'string', enum: DEP_CONDITIONS, description: '' } },
  ],
};

/** Keys every process-backed node takes: exec services, tasks and exec routes. */
const processFields: Record<string, SchemaNode> = {
  command: strList('the program and its arguments; ${…} templates allowed', 'command = ["node", "server.js"]'),
  cwd: str('working directory, relative to the spec (default ".")', 'cwd = "."'),
  env: {
    kind: 'map',
    description: 'extra environment for this service; ${…} templates allowed',
    values: envValue,
    example: 'env = { LOG_LEVEL = "debug" }',
  },
  port: { kind: 'port', description: 'a fixed port; omit to have one allocated', example: 'port = 3000' },
  no_port: bool('true: this service gets no port', 'no_port = true'),
  depends_on: dependsOn,
  stop_signal: { kind: 'signal', description: 'signal sent to stop the child (default SIGTERM)', example: 'stop_signal = "SIGINT"' },
  stop_timeout: dur('time allowed after stop_signal before SIGKILL (default 5s)', 'stop_timeout = "5s"'),
  watch: strList('globs whose changes restart the service (hot reload)', 'watch = ["src/**/*.ts"]'),
  watch_ignore: strList('globs that never trigger a reload', 'watch_ignore = ["**/*.test.ts"]'),
  watch_debounce: dur('quiet time after the last change before a reload (default 50ms): a burst of changes is one reload', 'watch_debounce = "50ms"'),
  reload_signal: {
    kind: 'signal',
    description: 'on a change, send this signal to the running child instead of restarting it (nginx, gunicorn: SIGHUP)',
    example: 'reload_signal = "SIGHUP"',
  },
  build: strList('runs before each (re)start; a failure keeps the old child', 'build = ["npm", "run", "build"]'),
};

const restart: SchemaNode = {
  kind: 'string',
  enum: RESTART_POLICIES,
  description: 'when to restart the child (default on-failure)',
  example: 'restart = "on-failure"',
};

const nameField = str('the service name; its env prefix is the name upper-cased', 'name = "api"');
const routeCommon: Record<string, SchemaNode> = {
  name: str('the route name (exec routes need one: it keys their state dir)', 'name = "api"'),
  path: str('the path prefix this route serves; must start with "/"', 'path = "/api/"'),
  strip_prefix: bool('remove the path prefix before forwarding', 'strip_prefix = true'),
  fallthrough: bool('on a 404 from this route, try the next shorter matching route', 'fallthrough = true'),
};
const routeTypeField = (t: string): SchemaNode => ({
  kind: 'string',
  enum: ['exec', 'static', 'http'],
  description: 'exec: a process devport runs; static: files; http: an existing server',
  example: `type = "${t}"`,
});

const route: TaggedNode = {
  kind: 'tagged',
  description: 'one path prefix of a proxy',
  tag: 'type',
  defaultTag: 'exec',
  variants: {
    exec: {
      kind: 'table',
      description: 'a route served by a process devport runs (takes every key an exec service takes)',
      required: ['name', 'path', 'command'],
      fields: {
        ...routeCommon,
        type: routeTypeField('exec'),
        ...processFields,
        restart,
        health,
        change_origin: bool('rewrite the Host header to the upstream', 'change_origin = true'),
      },
    },
    static: {
      kind: 'table',
      description: 'a route served from files',
      required: ['path', 'root'],
      fields: {
        ...routeCommon,
        type: routeTypeField('static'),
        root: str('the directory to serve, relative to the spec', 'root = "./public"'),
        spa: bool('unknown paths serve index.html', 'spa = true'),
      },
    },
    http: {
      kind: 'table',
      description: 'a route to a server devport does not run',
      required: ['path', 'url'],
      fields: {
        ...routeCommon,
        type: routeTypeField('http'),
        url: str('the upstream base URL; ${…} templates allowed', 'url = "http://127.0.0.1:9000"'),
        change_origin: bool('rewrite the Host header to the upstream', 'change_origin = true'),
      },
    },
  },
};

const typeField = (t: string): SchemaNode => ({
  kind: 'string',
  enum: ['exec', 'task', 'proxy', 'compose'],
  description: 'exec: a long-running process; task: runs once; proxy: a reverse proxy; compose: docker compose services',
  example: `type = "${t}"`,
});

const service: TaggedNode = {
  kind: 'tagged',
  description: 'one node of the stack',
  tag: 'type',
  defaultTag: 'exec',
  example: '[[service]]\nname = "api"\ncommand = ["node", "server.js"]',
  variants: {
    exec: {
      kind: 'table',
      description: 'a long-running process',
      required: ['name', 'command'],
      fields: { name: nameField, type: typeField('exec'), ...processFields, restart, health },
    },
    task: {
      kind: 'table',
      description: 'runs once to completion; dependents wait for exit 0',
      required: ['name', 'command'],
      fields: { name: nameField, type: typeField('task'), ...processFields },
    },
    proxy: {
      kind: 'table',
      description: 'a reverse proxy routing path prefixes to its routes',
      required: ['routes'],
      fields: {
        name: str('the proxy name (unnamed proxies are keyed _proxy0, _proxy1, …)', 'name = "web"'),
        type: typeField('proxy'),
        port: { kind: 'port', description: 'the port to listen on; omit to have one allocated', example: 'port = 8080' },
        host: str('bind address of this proxy (default: the top-level host)', 'host = "127.0.0.1"'),
        depends_on: dependsOn,
        hold_timeout: dur('how long a request waits for a restarting upstream (default 10s)', 'hold_timeout = "10s"'),
        capture: {
          kind: 'anyOf',
          description: 'the request inspector: how many recent requests this proxy keeps for `devport requests` and the dashboard (default 500); false or 0 keeps none',
          example: 'capture = 500',
          variants: [
            { kind: 'integer', description: 'requests kept', minimum: 0, maximum: 100_000 },
            { kind: 'boolean', description: 'true: the default (500); false: off' },
          ],
        },
        routes: { kind: 'tables', description: 'the routes, matched by longest path prefix', item: route },
      },
    },
    compose: {
      kind: 'table',
      description: 'docker compose services, healthy when their healthchecks pass',
      required: ['name'],
      fields: {
        name: nameField,
        type: typeField('compose'),
        file: str(
          'the compose file, relative to the spec (default: compose.yaml, compose.yml, docker-compose.yml or docker-compose.yaml in cwd, with its override file)',
          'file = "compose.yaml"',
        ),
        services: strList(
          'the compose services to start (default: the one named like this node; else those without a profile and those of `profiles`)',
          'services = ["postgres"]',
        ),
        profiles: strList('compose profiles to enable', 'profiles = ["cache"]'),
        port: {
          kind: 'port',
          description: 'the container port: devport publishes it on the allocated host port, which is PORT / <NAME>_PORT (on the first of `services`)',
          example: 'port = 5432',
        },
        depends_on: dependsOn,
        cwd: str('directory to run docker compose in, relative to the spec', 'cwd = "."'),
        stop_timeout: dur('time the containers get to stop before they are killed (compose stop -t; default 5s)', 'stop_timeout = "10s"'),
        health: {
          ...health,
          description: 'optional: a devport probe that decides instead of the containers\' healthchecks (type = "none": running is enough)',
        },
      },
    },
  },
};

export const SPEC_SCHEMA: TableNode = {
  kind: 'table',
  description: 'devport.toml: a development stack',
  fields: {
    tmux_session: str('the tmux session (default derived from the project directory)', 'tmux_session = "devport-myapp"'),
    host: str('bind address of proxies; "0.0.0.0" opts in to the LAN (default 127.0.0.1)', 'host = "127.0.0.1"'),
    port_range: {
      kind: 'list',
      description: 'where allocated ports come from: [first, last] (default [20000, 29999])',
      items: { kind: 'port', description: '' },
      minItems: 2,
      maxItems: 2,
      example: 'port_range = [20000, 29999]',
    },
    env_file: {
      kind: 'anyOf',
      description: 'dotenv file(s) loaded for every service; later files win',
      variants: [str(''), strList('')],
      example: 'env_file = ".env"',
    },
    env_out: str('written after allocation: NAME_PORT / NAME_URL lines', 'env_out = "devport.env"'),
    dashboard: bool('run the web dashboard as a node of the stack (127.0.0.1 only, a token in its URL; like `up --dashboard`)', 'dashboard = true'),
    env: {
      kind: 'map',
      description: 'extra env for every service; ${…} templates allowed',
      values: envValue,
      example: '[env]\nDATABASE_URL = "postgres://127.0.0.1:${DB_PORT}/app"',
    },
    service: { kind: 'tables', description: 'the nodes of the stack', item: service },
    isolation: {
      kind: 'table',
      description: 'linked git worktrees get their own ports and databases',
      fields: {
        mode: {
          kind: 'string',
          enum: ISOLATION_MODES,
          description: 'worktree: isolate linked worktrees; always; off',
          example: 'mode = "worktree"',
        },
        offset: { kind: 'integer', description: 'base port shift (default 1000)', minimum: 0, maximum: 60000, example: 'offset = 1000' },
        range: { kind: 'integer', description: 'spread of the shift (default 1000)', minimum: 1, maximum: 60000, example: 'range = 1000' },
        scan: { kind: 'integer', description: 'ports to try past a taken one (default 20)', minimum: 1, maximum: 1000, example: 'scan = 20' },
      },
    },
  },
};
