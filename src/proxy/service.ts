// A proxy node's service: its router runs inline in its own sidecar (lock,
// state.json, rpc.sock like any service). Healthy once it listens.

import path from 'node:path';
import { findPortHolder } from '../plan/listening.js';
import { OUTPUT_LOG } from '../state/dirs.js';
import { tailLines } from '../supervisor/output-log.js';
import type { Service, Sidecar } from '../supervisor/sidecar.js';
import type http from 'node:http';
import { DEFAULTS } from '../spec/defaults.js';
import { AccessLog } from './access-log.js';
import { CaptureRing } from './capture.js';
import { captureRpc } from './capture-rpc.js';
import { destroyAgents } from './forward.js';
import { Router } from './router.js';
import { Upstreams } from './upstreams.js';

export class ProxyService implements Service {
  #router: Router | undefined;
  readonly #upstreams: Upstreams;
  readonly #log: AccessLog;
  /** The request inspector's ring: outlives router restarts (ids keep counting). */
  readonly #capture: CaptureRing | undefined;
  #generation = 0;
  #stopReason: string | undefined;
  #stopped!: () => void;
  readonly #done = new Promise<void>((r) => (this.#stopped = r));
  #busy: Promise<void> = Promise.resolve();

  constructor(private readonly sc: Sidecar) {
    const routes = sc.node.proxy?.routes ?? [];
    this.#upstreams = new Upstreams(sc.plan, routes.flatMap((r) => (r.type === 'exec' ? [r.key] : [])));
    this.#log = new AccessLog((text) => sc.childOutput(Buffer.from(text)));
    const keep = sc.node.proxy?.capture ?? DEFAULTS.capture;
    this.#capture = keep > 0 ? new CaptureRing(keep) : undefined;
  }

  rpc(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
    return captureRpc(
      {
        ring: this.#capture,
        target: () => {
          const a = this.#router?.server.address();
          return typeof a === 'object' && a ? { host: this.sc.node.host, port: a.port } : undefined;
        },
      },
      req,
      res,
      url,
    );
  }

  private tail = (key: string) => tailLines(path.join(this.sc.plan.stateDir, key, OUTPUT_LOG), 15).join('\n');

  private async open(): Promise<void> {
    const node = this.sc.node;
    this.#generation++;
    this.sc.transition('starting', { generation: this.#generation, pid: null, pgid: null, pid_start: null, conflict: null });
    const router = new Router({ node, upstreams: this.#upstreams, log: this.#log, outputTail: this.tail, capture: this.#capture });
    try {
      await router.listen(node.host, node.port ?? 0);
    } catch (err: unknown) {
      const code = (err as NodeJS.ErrnoException).code;
      const holder = code === 'EADDRINUSE' && node.port !== null ? findPortHolder(node.port) : undefined;
      const by = holder ? ` by ${holder.command || 'another process'} (pid ${holder.pid})` : '';
      const reason = code === 'EADDRINUSE' ? `port ${node.port} is in use${by}` : `cannot listen on ${node.host}:${node.port}: ${code ?? String(err)}`;
      const conflict = code === 'EADDRINUSE' && node.port !== null ? { port: node.port, pid: holder?.pid ?? null, command: holder?.command ?? '' } : null;
      this.sc.say(reason);
      this.sc.transition('failed', { reason, conflict, pid: null, health: { ok: false, detail: reason, checked_at: new Date().toISOString() } });
      return;
    }
    this.#router = router;
    const routes = (node.proxy?.routes ?? []).map((r) => `${r.prefix} → ${r.type === 'exec' ? r.key : r.type === 'static' ? r.root : r.url}`);
    this.sc.say(`proxy listening on ${node.url ?? `${node.host}:${node.port}`}\n${routes.map((r) => `  ${r}`).join('\n')}`);
    this.sc.transition('healthy', { reason: null, health: { ok: true, detail: `listening on ${node.host}:${node.port}`, checked_at: new Date().toISOString() } });
  }

  private async closeRouter(): Promise<void> {
    const r = this.#router;
    this.#router = undefined;
    this.#log.flush();
    if (r) await r.close();
  }

  async run(): Promise<void> {
    this.#upstreams.start();
    await this.open();
    await this.#done;
  }

  restart(): { accepted: boolean; message: string } {
    if (this.#stopReason !== undefined) return { accepted: false, message: 'stopping' };
    this.#busy = this.#busy.then(async () => {
      await this.closeRouter();
      if (this.#stopReason === undefined) await this.open();
    });
    this.sc.update({ restarts: this.sc.record.state.restarts + 1 });
    return { accepted: true, message: 'restarting' };
  }

  stop(reason: string): void {
    if (this.#stopReason !== undefined) return;
    this.#stopReason = reason;
    this.sc.transition('stopping', { reason });
    void this.#busy.then(async () => {
      await this.closeRouter();
      this.#upstreams.stop();
      destroyAgents();
      this.#log.flush();
      this.#capture?.close();
      this.sc.transition('stopped', { reason: 'proxy closed', pid: null, health: null });
      this.#stopped();
    });
  }
}
