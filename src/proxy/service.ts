// A proxy node's service: its router runs inline in its own sidecar (lock,
// state.json, rpc.sock like any service). Healthy once it listens.

import path from 'node:path';
import { OUTPUT_LOG } from '../state/dirs.js';
import { tailLines } from '../supervisor/output-log.js';
import { InlineService } from '../supervisor/inline-service.js';
import type { Sidecar } from '../supervisor/sidecar.js';
import type http from 'node:http';
import { DEFAULTS } from '../spec/defaults.js';
import { AccessLog } from './access-log.js';
import { CaptureRing } from './capture.js';
import { captureRpc } from './capture-rpc.js';
import { destroyAgents } from './forward.js';
import { Router } from './router.js';
import { Upstreams } from './upstreams.js';

export class ProxyService extends InlineService {
  #router: Router | undefined;
  readonly #upstreams: Upstreams;
  readonly #log: AccessLog;
  /** The request inspector's ring: outlives router restarts (ids keep counting). */
  readonly #capture: CaptureRing | undefined;

  constructor(sc: Sidecar) {
    super(sc);
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

  override async run(): Promise<void> {
    this.#upstreams.start();
    await super.run();
  }

  protected async listen(): Promise<{ said: string; detail: string }> {
    const node = this.sc.node;
    const router = new Router({ node, upstreams: this.#upstreams, log: this.#log, outputTail: this.tail, capture: this.#capture });
    await router.listen(node.host, node.port ?? 0);
    this.#router = router;
    const routes = (node.proxy?.routes ?? []).map((r) => `${r.prefix} → ${r.type === 'exec' ? r.key : r.type === 'static' ? r.root : r.url}`);
    return { said: `proxy listening on ${node.url ?? `${node.host}:${node.port}`}\n${routes.map((r) => `  ${r}`).join('\n')}`, detail: `listening on ${node.host}:${node.port}` };
  }

  protected address(): string {
    return `${this.sc.node.host}:${this.sc.node.port}`;
  }

  protected async close(): Promise<void> {
    const r = this.#router;
    this.#router = undefined;
    this.#log.flush();
    if (r) await r.close();
  }

  protected released(): string {
    this.#upstreams.stop();
    destroyAgents();
    this.#log.flush();
    this.#capture?.close();
    return 'proxy closed';
  }
}
