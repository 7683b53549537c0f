// A dashboard node's service: the dashboard's server runs inline in its own
// sidecar (lock, state.json, rpc.sock, tmux window), as a proxy's router does.
// Its token lives beside its state, in a 0600 file: `up`, `devport dashboard
// --url` and the owner can read it, nobody else can.

import path from 'node:path';
import { writeFileAtomic } from '../state/atomic.js';
import { InlineService } from '../supervisor/inline-service.js';
import type { Sidecar } from '../supervisor/sidecar.js';
import { newToken } from './auth.js';
import { TOKEN_FILE } from './key.js';
import { startDashboard, type Dashboard } from './server.js';


export class DashboardService extends InlineService {
  #server: Dashboard | undefined;
  /** One token for this sidecar's life: a restart keeps the owner's open page working. */
  readonly #token = newToken();

  constructor(sc: Sidecar) {
    super(sc);
    writeFileAtomic(path.join(sc.dir, TOKEN_FILE), `${this.#token}\n`, 0o600);
  }

  protected async listen(): Promise<{ said: string; detail: string }> {
    const node = this.sc.node;
    this.#server = await startDashboard({
      stateDir: this.sc.plan.stateDir,
      port: node.port ?? 0,
      token: this.#token,
      self: node.key,
      say: (m) => this.sc.say(m),
      onStackDown: () => this.stop('the stack was stopped from the dashboard'),
    });
    // The URL without the token: state.json is read by tools that print it (the token is in TOKEN_FILE).
    return {
      said: `dashboard listening on http://127.0.0.1:${this.#server.port}/ (the URL with its token: devport dashboard --url)`,
      detail: `listening on 127.0.0.1:${this.#server.port}`,
    };
  }

  protected address(): string {
    return `127.0.0.1:${this.sc.node.port}`;
  }

  protected async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s) await s.close();
  }

  protected released(): string {
    return 'dashboard closed';
  }
}
