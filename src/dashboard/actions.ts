// What the dashboard's buttons do, through the facades the verbs use: a live
// sidecar is asked over its rpc.sock (as `devport restart`), a dead one is
// started again (startServices, as `devport start`), a stop is downStack (as
// `devport stop`). Failures are answers, never exceptions.

import path from 'node:path';
import { UserError } from '../errors/failure.js';
import { rpcRequest } from '../rpc/client.js';
import { DEFAULTS } from '../spec/defaults.js';
import { downStack } from '../stack/down.js';
import { deadKeys, startServices } from '../stack/start-services.js';
import { listServiceDirs } from '../state/dirs.js';
import type { ActionResult } from './types.js';

export type ServiceAction = 'restart' | 'stop' | 'start';

export interface ActionContext {
  stateDir: string;
  /** devport.toml of the stack (for starting a service that is not running). */
  specFile: () => string | null;
  /** This dashboard's own key: never stopped or restarted from its own page. */
  self: string | null;
  say: (message: string) => void;
}

function messageOf(err: unknown): string {
  if (UserError.is(err)) return err.failures.map((f) => f.message).join('; ');
  return err instanceof Error ? err.message : String(err);
}

async function restartLive(dir: string): Promise<ActionResult> {
  try {
    const r = await rpcRequest(dir, 'POST', '/restart');
    let message = r.body.trim();
    try {
      message = (JSON.parse(r.body) as { message?: string }).message ?? message;
    } catch {
      /* not JSON */
    }
    return { ok: r.status === 202, message };
  } catch (err: unknown) {
    return { ok: false, message: `its sidecar does not answer: ${messageOf(err)}` };
  }
}

/** Starts keys in the background (startServices waits for ready, the page sees that in the stream). */
function startInBackground(ctx: ActionContext, keys: string[]): ActionResult {
  const specFile = ctx.specFile();
  if (!specFile) return { ok: false, message: 'no plan.json: the stack has not been started with `devport up`' };
  ctx.say(`starting ${keys.join(', ')}`);
  startServices({ specFile, stateDir: ctx.stateDir, names: keys, json: false, tmux: undefined, waitTimeoutMs: undefined, report: false }).then(
    (code) => code !== 0 && ctx.say(`start of ${keys.join(', ')} ended with status ${code}`),
    (err: unknown) => ctx.say(`start of ${keys.join(', ')} failed: ${messageOf(err)}`),
  );
  return { ok: true, message: 'starting' };
}

export async function serviceAction(ctx: ActionContext, key: string, action: ServiceAction): Promise<{ status: number; result: ActionResult }> {
  if (!listServiceDirs(ctx.stateDir).includes(key)) return { status: 404, result: { ok: false, message: `no service "${key}" in this stack` } };
  if (key === ctx.self) return { status: 409, result: { ok: false, message: 'the dashboard does not restart or stop itself: use `devport restart`/`devport stop`' } };
  const dead = deadKeys(ctx.stateDir, [key]).length > 0;
  switch (action) {
    case 'restart':
    case 'start':
      if (dead) return { status: 202, result: startInBackground(ctx, [key]) };
      if (action === 'start') return { status: 200, result: { ok: true, message: 'already running' } };
      return wrap(await restartLive(path.join(ctx.stateDir, key)));
    case 'stop': {
      if (dead) return { status: 200, result: { ok: true, message: 'not running' } };
      ctx.say(`stopping ${key}`);
      const stopped = await downStack({ stateDir: ctx.stateDir, timeoutMs: DEFAULTS.downTimeoutMs, keys: [key] }).catch((err: unknown) => messageOf(err));
      if (typeof stopped === 'string') return { status: 500, result: { ok: false, message: stopped } };
      return { status: 200, result: { ok: true, message: stopped.map((s) => `${s.key}: ${s.how}`).join('; ') || 'not running' } };
    }
  }
}

function wrap(r: ActionResult): { status: number; result: ActionResult } {
  return { status: r.ok ? 202 : 409, result: r };
}

/** Every service but the dashboard: live ones through their sidecars, dead ones started again. */
export async function restartStack(ctx: ActionContext): Promise<{ status: number; result: ActionResult }> {
  const keys = listServiceDirs(ctx.stateDir).filter((k) => k !== ctx.self);
  const dead = deadKeys(ctx.stateDir, keys);
  const results = await Promise.all(keys.filter((k) => !dead.includes(k)).map(async (k) => [k, await restartLive(path.join(ctx.stateDir, k))] as const));
  if (dead.length > 0) startInBackground(ctx, dead);
  const failed = results.filter(([, r]) => !r.ok);
  const message = failed.length === 0 ? `restarting ${keys.length} service(s)` : failed.map(([k, r]) => `${k}: ${r.message}`).join('; ');
  return { status: failed.length === 0 ? 202 : 409, result: { ok: failed.length === 0, message } };
}

/** `devport down` of every service but the dashboard; `then` (a supervised dashboard stopping itself) after. */
export async function downWholeStack(ctx: ActionContext, then?: () => void): Promise<{ status: number; result: ActionResult }> {
  const keys = listServiceDirs(ctx.stateDir).filter((k) => k !== ctx.self);
  ctx.say('stopping the stack (requested from the dashboard)');
  try {
    const stopped = await downStack({ stateDir: ctx.stateDir, timeoutMs: DEFAULTS.downTimeoutMs, keys });
    return { status: 200, result: { ok: true, message: `stopped ${stopped.length} service(s)` } };
  } catch (err: unknown) {
    return { status: 500, result: { ok: false, message: messageOf(err) } };
  } finally {
    if (then) setImmediate(then);
  }
}
