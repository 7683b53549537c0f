// `devport restart <svc…>`: a new generation through rpc.sock (same port), then wait until ready again.
// A service whose sidecar died is started again instead (as `devport start` would).

import path from 'node:path';
import { failure, UserError, type Failure } from '../errors/failure.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { rpcEvents, rpcRequest } from '../rpc/client.js';
import { readJson } from '../state/atomic.js';
import { PLAN_FILE } from '../state/dirs.js';
import { stateFileOf } from '../state/read.js';
import { deadKeys, startServices } from '../stack/start-services.js';
import { failureOf, isReady } from '../stack/wait.js';
import { colorEnabled, palette } from '../util/color.js';
import { JsonLogger } from '../events/json-logger.js';
import { parseDurationFlag, stateDirOf } from './common.js';
import { resolveServices } from './services.js';

export interface RestartOptions {
  services: string[];
  file?: string;
  wait?: boolean;
  json?: boolean;
  timeout?: string;
}

export async function restart(opts: RestartOptions): Promise<number> {
  if (opts.services.length === 0) {
    throw new UserError([failure('USAGE', 'name the services to restart', { hint: 'devport restart api worker' })]);
  }
  const { specFile, stateDir } = stateDirOf({ file: opts.file, cwd: process.cwd() });
  const timeoutMs = opts.timeout === undefined ? 60_000 : parseDurationFlag('--timeout', opts.timeout);
  const all = resolveServices(stateDir, opts.services);
  // A dead sidecar has nobody to ask for a restart: its service is started again, with what it needs.
  const dead = deadKeys(stateDir, all);
  if (dead.length > 0) {
    const code = await startServices({ specFile, stateDir, names: dead, json: opts.json === true, tmux: undefined, waitTimeoutMs: timeoutMs, report: false });
    if (code !== 0) return code;
  }
  const keys = all.filter((k) => !dead.includes(k));
  const plan = readJson<Plan>(path.join(stateDir, PLAN_FILE));
  const c = palette(!opts.json && colorEnabled(process.stdout));
  const logger = opts.json ? new JsonLogger() : undefined;
  const t0 = Date.now();

  const results = await Promise.all(
    keys.map(async (key): Promise<Failure | undefined> => {
      const dir = path.join(stateDir, key);
      const before = stateFileOf(dir)?.state.generation ?? 0;
      const node: PlanNode | undefined = plan?.nodes.find((n) => n.key === key);
      // Subscribe first, so the change cannot slip by between the request and the wait.
      const ctl = new AbortController();
      let outcome: Failure | 'ready' | undefined;
      // The first frame is the state before the restart: reported are the changes after it.
      let first = true;
      const done =
        opts.wait === false
          ? Promise.resolve()
          : rpcEvents(dir, (s) => {
              if (!first) logger?.log({ event: 'service', service: key, state: s.state.state, duration_ms: Date.now() - t0, port: s.state.port, url: s.state.url, restarts: s.state.restarts, exit_code: s.state.exit_code });
              first = false;
              if (s.state.generation <= before || !node || !plan) return;
              if (isReady(node, s.state)) outcome = 'ready';
              else outcome = failureOf(plan, node, s.state);
              if (outcome) ctl.abort();
            }, ctl.signal).catch((err: unknown) => err as Error);
      let r: { status: number; body: string };
      try {
        r = await rpcRequest(dir, 'POST', '/restart');
      } catch (err: unknown) {
        ctl.abort();
        await done;
        // Locked but not answering yet: its sidecar is between taking the lock and binding rpc.sock.
        return failure('NOT_RUNNING', `cannot restart "${key}": its sidecar does not answer (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
          hint: 'it may be starting: try again in a moment; `devport ls` shows its state',
        });
      }
      if (r.status !== 202) {
        ctl.abort();
        await done;
        let message = r.body;
        try {
          message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
        } catch {
          /* not JSON */
        }
        return failure('NOT_RUNNING', `cannot restart "${key}": ${message}`, { hint: '`devport ls` shows its state' });
      }
      if (opts.wait === false) return undefined;
      const timer = setTimeout(() => ctl.abort(), timeoutMs);
      const ended = await done;
      clearTimeout(timer);
      if (ended instanceof Error && outcome === undefined) {
        return failure('NOT_RUNNING', `lost "${key}" while it restarted: ${ended.message}`, { hint: '`devport ls` shows its state; `devport logs ' + key + '` its output' });
      }
      if (outcome === 'ready') {
        if (!opts.json) process.stdout.write(`${c.green('●')} ${c.bold(key)} ${c.dim(`ready again in ${Date.now() - t0} ms`)}\n`);
        return undefined;
      }
      return outcome ?? failure('SERVICE_UNHEALTHY', `"${key}" was not ready again after ${timeoutMs} ms`, { hint: `\`devport logs ${key}\` shows its output` });
    }),
  );
  const failures = results.filter((f): f is Failure => f !== undefined);
  if (failures.length > 0) throw new UserError(failures);
  if (opts.wait === false && !opts.json) process.stdout.write(`restarting ${keys.join(', ')}\n`);
  if (logger) {
    // The last word: where each service is now (restarted, or started again).
    const services = all.map((key) => {
      const s = stateFileOf(path.join(stateDir, key))?.state;
      return { service: key, url: s?.url ?? null, port: s?.port ?? null, state: s?.state ?? 'pending' };
    });
    logger.log({ event: 'ready', services, duration_ms: Date.now() - t0 });
  }
  return 0;
}
