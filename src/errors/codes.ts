// The one registry of error codes a user can cause. Codes are stable: scripts
// and agents match on them. Each has a default hint and a README anchor.

export const ERROR_CODES = {
  SPEC_NOT_FOUND: {
    summary: 'no devport.toml was found',
    hint: 'run devport inside a project with a devport.toml, or pass one with --file PATH',
  },
  SPEC_EXISTS: {
    summary: 'there is a devport.toml already',
    hint: 'keep it, overwrite it with `devport init --force`, or print the new one with `devport init --stdout`',
  },
  SPEC_INVALID: {
    summary: 'the spec has a mistake',
    hint: 'fix the spec at the position shown; the keys are documented in .devport.example.toml',
  },
  TMUX_UNAVAILABLE: {
    summary: 'tmux is needed but missing',
    hint: 'install tmux (apt-get install tmux, brew install tmux) or run with --no-tmux',
  },
  ALREADY_RUNNING: {
    summary: 'a service of this stack is already running',
    hint: 'stop it with `devport down`, or restart it with `devport restart <service>`',
  },
  PORT_IN_USE: {
    summary: 'a fixed port is taken by another process',
    hint: 'stop the process holding the port, or remove `port` from the service so devport allocates one',
  },
  SERVICE_UNHEALTHY: {
    summary: 'a service did not become healthy',
    hint: 'read its output above; `devport logs <service>` shows more',
  },
  TASK_FAILED: {
    summary: 'a task exited with an error',
    hint: 'read its output above; fix the task and run `devport up` again',
  },
  SERVICE_UNKNOWN: {
    summary: 'no such service in this stack',
    hint: '`devport up --dry-run` lists the services and their keys',
  },
  FLAG_CONFLICT: {
    summary: 'two flags contradict each other',
    hint: 'drop one of them',
  },
  DOCKER_UNAVAILABLE: {
    summary: 'docker is needed but not reachable',
    hint: 'start the Docker engine, or remove the compose service from the spec',
  },
  COMPOSE_NOT_FOUND: {
    summary: 'neither `docker compose` nor `docker-compose` is installed',
    hint: 'install the docker compose plugin (v2) or docker-compose (v1)',
  },
  STATE_UNSAFE: {
    summary: 'something in .devport/ is not what devport made',
    hint: 'remove it (devport recreates .devport/ on the next up), or see docs/security.md',
  },
  NOT_RUNNING: {
    summary: 'the service is not running',
    hint: 'start the stack with `devport up`',
  },
  NO_PROXY: {
    summary: 'the stack has no proxy, so no requests are captured',
    hint: 'add a `type = "proxy"` service with routes to devport.toml and send requests through it',
  },
  CAPTURE_OFF: {
    summary: "the proxy's request capture is off",
    hint: 'remove `capture = false` from the proxy in devport.toml (or set `capture = 500`) and run `devport up`',
  },
  USAGE: {
    summary: 'the command line is not understood',
    hint: 'see `devport --help`',
  },
  INTERNAL: {
    summary: 'internal error',
    hint: 'this is a bug in devport; please report it with the output above',
  },
} as const satisfies Record<string, { summary: string; hint: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function docsAnchor(code: ErrorCode): string {
  return `README.md#${code.toLowerCase()}`;
}
