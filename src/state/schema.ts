// The shape of .devport/<key>/state.json, once: spec/state.schema.json is
// generated from it (npm run gen:schema) and every reader checks files against
// it (state/read.ts), so a forged or corrupt file is reported, never trusted.

import type { JsonSchema } from '../util/json-check.js';

export const SERVICE_STATES = ['pending', 'starting', 'healthy', 'unhealthy', 'building', 'reloading', 'exited', 'completed', 'failed', 'backoff', 'crashloop', 'stopping', 'stopped'] as const;

const int = (description?: string, minimum = 0): JsonSchema => ({ type: 'integer', minimum, ...(description ? { description } : {}) });
const intOrNull = (description: string, minimum = 0): JsonSchema => ({ type: ['integer', 'null'], minimum, description });
const strOrNull = (description: string): JsonSchema => ({ type: ['string', 'null'], description });

/** What the sidecar says about itself (`supervisor` in state.json and in `devport ls`). */
const SUPERVISOR: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'pid', 'started_at', 'version', 'spec', 'run_id', 'tmux', 'depends_on', 'lock'],
  properties: {
    key: { type: 'string', description: 'the service key (its directory name)' },
    pid: int("the sidecar's pid", 2),
    pid_start: intOrNull("the sidecar's start time from /proc/<pid>/stat: tells a reused pid from the sidecar"),
    started_at: { type: 'string', format: 'date-time' },
    version: { type: 'string', description: "devport's version" },
    spec: { type: 'string', description: 'absolute path of devport.toml' },
    run_id: strOrNull('the `up` that started this sidecar; dependencies count only within one run'),
    tmux: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['session', 'window', 'pane'],
      properties: {
        session: { type: 'string' },
        window: { type: 'string', description: 'window id (@N); empty until looked up' },
        pane: { type: 'string', description: 'pane id (%N)' },
      },
    },
    depends_on: { type: 'array', items: { type: 'string' }, description: 'keys this service waits for' },
    lock: { enum: ['flock', 'flock-helper'], description: 'flock(2) through fs-ext, or the util-linux `flock -o` helper' },
    output_offset: int('byte offset in output.log where this sidecar\'s output begins: "the current run" for logs and failure tails'),
  },
};

/** The service as the sidecar sees it (`state` in state.json and in `devport ls`). */
const SERVICE_STATE: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'state', 'port', 'url', 'pid', 'pgid', 'pid_start', 'generation', 'restarts', 'exit_code', 'signal', 'reason', 'since', 'health', 'next_restart_at'],
  properties: {
    type: { enum: ['exec', 'task', 'proxy', 'compose', 'dashboard'] },
    state: { enum: SERVICE_STATES },
    port: { type: ['integer', 'null'], minimum: 1, maximum: 65535 },
    url: { type: ['string', 'null'] },
    pid: intOrNull("the child's pid while it runs", 2),
    pgid: intOrNull("the child's process group (the child leads it)", 2),
    pid_start: intOrNull("the child's start time from /proc/<pid>/stat: tells a reused pid from ours"),
    generation: int('how many children this sidecar has started'),
    restarts: int(),
    exit_code: { type: ['integer', 'null'], description: 'of the last child that ended' },
    signal: strOrNull('that killed the last child'),
    reason: strOrNull('in words: "exited 3", "killed after 5000 ms stop timeout"'),
    since: { type: 'string', format: 'date-time', description: 'when this state began' },
    health: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['ok', 'detail', 'checked_at'],
      properties: {
        ok: { type: 'boolean' },
        detail: { type: 'string', description: 'e.g. "tcp 127.0.0.1:20417 open", "GET http://localhost:20417/healthz → 500"' },
        checked_at: { type: 'string', format: 'date-time' },
      },
    },
    next_restart_at: { type: ['string', 'null'], format: 'date-time', description: 'in backoff or crashloop: when the next start is due' },
    build: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['ok', 'exit_code', 'tail', 'started_at', 'duration_ms', 'trigger'],
      description: 'the last build of a hot reload (`build` while the old child keeps serving): null before any; ok null while it runs; a failed one keeps the old child and stays here until the next build succeeds',
      properties: {
        ok: { type: ['boolean', 'null'] },
        exit_code: { type: ['integer', 'null'] },
        tail: { type: 'string', description: 'the last lines of its output (on failure)' },
        started_at: { type: 'string', format: 'date-time' },
        duration_ms: { type: ['integer', 'null'], minimum: 0 },
        trigger: { type: 'array', items: { type: 'string' }, description: 'the changed paths that started it (at most 10)' },
      },
    },
    reload: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['at', 'how', 'signal', 'trigger', 'count'],
      description: 'the last hot reload: a new generation (restart) or reload_signal sent to the running child (signal: no new generation)',
      properties: {
        at: { type: 'string', format: 'date-time' },
        how: { enum: ['restart', 'signal'] },
        signal: { type: ['string', 'null'] },
        trigger: { type: 'array', items: { type: 'string' }, description: 'changed paths, relative to the service cwd (at most 10)' },
        count: { type: 'integer', minimum: 0, description: 'how many paths changed in all' },
      },
    },
    conflict: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['port', 'pid', 'command'],
      description: "the service's port is held by a process that is not its child (the child then fails with EADDRINUSE): up reports PORT_IN_USE",
      properties: {
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        pid: { type: ['integer', 'null'], description: 'the holder, where /proc tells' },
        command: { type: 'string' },
      },
    },
  },
};

export const STATE_SCHEMA: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://github.com/devport/devport/spec/state.schema.json',
  title: '.devport/<key>/state.json',
  description:
    "Written atomically (temp file + rename) by the service's sidecar on every state change. `devport ls` prints one line per state dir (spec/ls.schema.json): {dir, key, alive, supervisor, state, problem}, `supervisor` and `state` being this file's members (null when it is missing or invalid, with `problem` saying why).",
  type: 'object',
  required: ['supervisor', 'state'],
  additionalProperties: false,
  properties: {
    supervisor: { $ref: '#/$defs/supervisor' },
    state: { $ref: '#/$defs/state' },
  },
  // Named so that other schemas can point at them (spec/ls.schema.json: a `devport ls` line).
  $defs: { supervisor: SUPERVISOR, state: SERVICE_STATE },
};
