// process-compose.yaml: its `processes`. process-compose has no task type: a
// process others wait on with process_completed(_successfully) is one-shot, so
// it becomes a devport task. Commands run through its shell (bash -c unless
// `shell` says otherwise) when they need one.

import { constants } from 'node:os';
import { probeHealth, seconds } from './probe.js';
import { envPrefix } from '../spec/tree.js';
import { literalPort, usesPortVariable, validPort } from './ports.js';
import { firstPresent, isMap, parseYaml } from './read.js';
import { devportCommand, isDevportName, parseCommand } from './shell.js';
import { untranslated, type DraftCondition, type DraftService, type Translation } from './types.js';

export const PROCESS_COMPOSE_FILES = ['process-compose.yaml', 'process-compose.yml'] as const;

/** Process keys read elsewhere in this file; any other key is reported. */
const HANDLED = new Set([
  'command', 'entrypoint', 'working_dir', 'environment', 'depends_on', 'readiness_probe', 'availability',
  'shutdown', 'is_daemon', 'disabled', 'description', 'replicas',
]);
/** Top-level keys that say nothing about what runs. */
const QUIET_TOP = new Set(['version', 'processes', 'environment', 'shell']);

const CONDITIONS: Record<string, DraftCondition> = {
  process_healthy: 'healthy',
  process_started: 'started',
  process_completed_successfully: 'completed',
  process_completed: 'completed',
  process_log_ready: 'started',
};

/** process-compose writes signals as numbers (`signal: 2`). */
function signalName(v: unknown): string | undefined {
  if (typeof v === 'string' && v.toUpperCase() in constants.signals) return v.toUpperCase();
  if (typeof v === 'string' && `SIG${v.toUpperCase()}` in constants.signals) return `SIG${v.toUpperCase()}`;
  const n = typeof v === 'number' ? v : Number(v);
  return Object.entries(constants.signals).find(([, num]) => num === n)?.[0];
}


/**
 * `["A=1"]` or `{A: 1}` → pairs. process-compose expands `$NAME` and `${NAME}` itself: `$NAME` becomes
 * devport's `${NAME}`; `${NAME:-default}` has no devport form and becomes its default (reported).
 */
export function envPairs(v: unknown, note: (name: string, why: string) => void = () => {}): [string, string][] {
  const pairs: [string, string][] = Array.isArray(v)
    ? v.flatMap((e): [string, string][] => {
        const m = /^([^=]+)=(.*)$/s.exec(String(e));
        return m ? [[m[1] ?? '', m[2] ?? '']] : [];
      })
    : isMap(v)
      ? Object.entries(v).map(([k, x]): [string, string] => [k, x === null || x === undefined ? '' : String(x)])
      : [];
  return pairs.map(([k, x]): [string, string] => {
    const value = x
      .replace(/(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)/g, '${$1}')
      .replace(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}]*)\}/g, (_m, name: string, d: string) => {
        note(k.trim(), `devport has no default for \${${name}}: written as "${d}"; set ${name} in [env] or an env_file to change it`);
        return d;
      });
    return [k.trim(), value];
  }).filter(([k, x]) => x !== `\${${k}}`); // `A=${A}` passes the caller's A on, which devport does anyway
}

export function readProcessCompose(dir: string): Translation | undefined {
  const found = firstPresent(dir, PROCESS_COMPOSE_FILES);
  if (!found) return undefined;
  const file = found.name;
  const t: Translation = { file, services: [], untranslated: [] };
  if (!found.read.ok) return { ...t, untranslated: [untranslated(file, '', found.read.why)] };
  const doc = parseYaml(found.read.text);
  if (!doc.ok) return { ...t, untranslated: [untranslated(file, '', doc.why)] };
  const top = doc.value;
  if (!isMap(top) || !isMap(top.processes)) return { ...t, untranslated: [untranslated(file, 'processes', 'no processes to translate')] };
  const processes = top.processes;
  for (const key of Object.keys(top)) {
    if (!QUIET_TOP.has(key)) t.untranslated.push(untranslated(file, key, "process-compose's own setting; devport has no equivalent"));
  }
  const shellConf = isMap(top.shell) ? top.shell : {};
  const shell = [String(shellConf.shell_command ?? 'bash'), String(shellConf.shell_argument ?? '-c')];
  const global = envPairs(top.environment, (k, why) => t.untranslated.push(untranslated(file, `environment.${k}`, why)));
  if (global.length > 0) t.env = global.map(([name, value]) => ({ name, value }));

  // One-shot processes: those another waits on to complete.
  const oneShot = new Set<string>();
  for (const p of Object.values(processes)) {
    if (!isMap(p) || !isMap(p.depends_on)) continue;
    for (const [dep, c] of Object.entries(p.depends_on)) {
      const cond = isMap(c) ? c.condition : undefined;
      if (cond === 'process_completed_successfully' || cond === 'process_completed') oneShot.add(dep);
    }
  }
  const fixed = new Set<number>();
  for (const [name, p] of Object.entries(processes)) {
    if (!isMap(p)) {
      t.untranslated.push(untranslated(file, `processes.${name}`, 'not a mapping'));
      continue;
    }
    const s = translateProcess(name, p, { file, shell, oneShot, fixed, t });
    if (s) t.services.push(s);
  }
  return t;
}

interface Ctx {
  file: string;
  shell: string[];
  oneShot: Set<string>;
  fixed: Set<number>;
  t: Translation;
}

function translateProcess(name: string, p: Record<string, unknown>, ctx: Ctx): DraftService | undefined {
  const at = `processes.${name}`;
  const note = (key: string, why: string) => ctx.t.untranslated.push(untranslated(ctx.file, key ? `${at}.${key}` : at, why));
  if (p.disabled === true) {
    note('disabled', 'not started by process-compose unless asked; not added');
    return undefined;
  }
  for (const key of Object.keys(p)) if (!HANDLED.has(key)) note(key, explain(key));

  const isTask = ctx.oneShot.has(name) || p.is_daemon === true;
  const s: DraftService = { name, from: `${ctx.file} ${at}`, type: isTask ? 'task' : 'exec' };
  if (typeof p.description === 'string' && p.description.trim() !== '') s.notes = [p.description.trim()];
  if (typeof p.replicas === 'number' && p.replicas > 1) note('replicas', 'devport runs one process per service: copy the [[service]] under another name for more');
  if (p.is_daemon === true) note('is_daemon', 'devport supervises processes in the foreground: written as a task (its command must exit 0); better, run it without daemonizing');

  // The command: `entrypoint` is already a list; `command` is shell text.
  const text = typeof p.command === 'string' ? p.command : '';
  if (Array.isArray(p.entrypoint) && p.entrypoint.length > 0) {
    s.command = p.entrypoint.map(String);
    if (text !== '') note('command', 'entrypoint is used; its command is not appended');
  } else {
    const cmd = devportCommand(parseCommand(text), ctx.shell);
    s.command = cmd.command;
    if (cmd.env.length > 0) s.env = cmd.env;
    for (const why of cmd.problems) note('command', why);
  }
  if (s.command.length === 0) {
    note('command', 'no command; not added');
    return undefined;
  }
  if (typeof p.working_dir === 'string' && p.working_dir !== '') s.cwd = p.working_dir;

  // Environment: PORT (or its own <NAME>_PORT, which devport then sets for everyone) says where it
  // listens; devport's other names cannot be set.
  let envPort: number | undefined;
  const own = `${envPrefix(name)}_PORT`;
  for (const [k, v] of envPairs(p.environment, (k, why) => note(`environment.${k}`, why))) {
    if ((k === 'PORT' || k === own) && validPort(v) !== undefined && envPort === undefined) envPort = validPort(v);
    else if (isDevportName(k)) note(`environment.${k}`, `devport sets ${k} itself`);
    else (s.env ??= []).push([k, v]);
  }

  dependencies(s, p, note);
  if (!isTask) {
    const probe = isMap(p.readiness_probe) ? probeHealth(p.readiness_probe, ctx.shell, (k, why) => note(`readiness_probe.${k}`, why)) : undefined;
    // An http probe of its own port (whose number it does not say) needs one.
    const probesOwnPort = probe?.health?.type === 'http' && probe.health.url === undefined;
    listening(s, text, { envPort, probePort: probe?.port, probesOwnPort }, ctx.fixed);
    if (probe?.health) s.health = probe.health;
    availability(s, p.availability, note);
  } else {
    if (p.readiness_probe !== undefined) note('readiness_probe', 'a task is ready when it exits 0; its probe is not used');
    if (isMap(p.availability) && p.availability.restart !== undefined && !['no', false].includes(p.availability.restart as string)) note('availability.restart', 'a task never restarts');
    if (envPort !== undefined) note('environment.PORT', 'a task gets no port, and devport sets PORT itself');
  }
  shutdown(s, p.shutdown, note);
  return s;
}

function explain(key: string): string {
  switch (key) {
    case 'liveness_probe':
      return 'devport probes a service once healthy ([service.health]) but does not restart it on failure';
    case 'ready_log_line':
      return 'devport has no readiness by log line; depend on "started", or add a [service.health]';
    case 'namespace':
      return 'devport has no namespaces';
    case 'log_location':
    case 'log_configuration':
      return "devport keeps each service's output in .devport/<key>/output.log";
    default:
      return 'devport has no equivalent';
  }
}

function dependencies(s: DraftService, p: Record<string, unknown>, note: (k: string, why: string) => void): void {
  const deps = p.depends_on;
  if (deps === undefined) return;
  const list: { name: string; condition: DraftCondition }[] = [];
  const entries: [string, unknown][] = Array.isArray(deps) ? deps.map((d) => [String(d), {}]) : isMap(deps) ? Object.entries(deps) : [];
  for (const [dep, c] of entries) {
    const cond = isMap(c) && typeof c.condition === 'string' ? c.condition : 'process_started';
    const mapped = CONDITIONS[cond];
    if (!mapped) {
      note(`depends_on.${dep}.condition`, `unknown condition "${cond}"; written as "started"`);
    } else if (cond === 'process_completed') {
      note(`depends_on.${dep}.condition`, 'devport waits for exit 0 ("completed"); process_completed also accepted a failure');
    } else if (cond === 'process_log_ready') {
      note(`depends_on.${dep}.condition`, 'devport has no readiness by log line; written as "started"');
    }
    list.push({ name: dep, condition: mapped ?? 'started' });
  }
  if (list.length > 0) s.dependsOn = list;
}

/** Where it listens: PORT in its environment, its probe's port, `-p N`; else `$PORT`, or nowhere. */
function listening(
  s: DraftService,
  text: string,
  { envPort, probePort, probesOwnPort }: { envPort: number | undefined; probePort: number | undefined; probesOwnPort: boolean },
  fixed: Set<number>,
): void {
  const free = (n: number | undefined) => n !== undefined && !fixed.has(n);
  if (free(envPort)) {
    s.port = envPort;
    s.portNote = 'its environment says so';
  } else if (free(probePort)) {
    s.port = probePort;
    s.portNote = 'its readiness probe checks it';
  } else if (free(literalPort(text))) {
    s.port = literalPort(text);
    s.portNote = 'the command listens on it';
  } else if (!usesPortVariable(text) && !probesOwnPort) {
    s.noPort = true;
    s.notes = [...(s.notes ?? []), 'no port found in its command, environment or probe: healthy while it runs (or by its probe)'];
  }
  if (s.port !== undefined) fixed.add(s.port);
}

// `restart: no` is the string "no" in YAML 1.2 (and false in 1.1).
const RESTARTS: Record<string, DraftService['restart']> = { always: 'always', on_failure: 'on-failure', no: 'never', false: 'never', exit_on_failure: 'never' };

function availability(s: DraftService, a: unknown, note: (k: string, why: string) => void): void {
  if (!isMap(a)) return;
  for (const [k, v] of Object.entries(a)) {
    if (k === 'restart') {
      const r = RESTARTS[String(v)];
      if (r) s.restart = r;
      else note('availability.restart', `unknown policy "${String(v)}"`);
      if (v === 'exit_on_failure') note('availability.restart', 'exit_on_failure stops the whole project; devport leaves the rest running (written as "never")');
    } else if (k === 'backoff_seconds' || k === 'max_restarts') {
      note(`availability.${k}`, 'devport backs off from 250ms doubling to 30s, with no limit on restarts');
    } else note(`availability.${k}`, 'devport has no equivalent');
  }
}

function shutdown(s: DraftService, sh: unknown, note: (k: string, why: string) => void): void {
  if (!isMap(sh)) return;
  for (const [k, v] of Object.entries(sh)) {
    if (k === 'signal') {
      const name = signalName(v);
      if (name) s.stopSignal = name;
      else note('shutdown.signal', `unknown signal ${String(v)}`);
    } else if (k === 'timeout_seconds') {
      const d = seconds(v);
      if (d) s.stopTimeout = d;
      else note('shutdown.timeout_seconds', `not a duration devport takes: ${String(v)}`);
    } else if (k === 'command') {
      note('shutdown.command', 'devport stops a service by signalling its process group; this command is not run');
    } else note(`shutdown.${k}`, 'devport signals the whole process group; no equivalent');
  }
}
