// A dashboard node's service: the dashboard's server runs inline in its own
// sidecar (lock, state.json, rpc.sock, tmux window), as a proxy's router does.
// Its token lives beside its state, in a 0600 file: `up`, `devport dashboard
// --url` and the owner can read it, nobody else can.

import path from 'node:path';
import { findPortHolder } from '../plan/listening.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { Service, Sidecar } from '../supervisor/sidecar.js';
import { newToken } from './auth.js';
import { TOKEN_FILE } from './key.js';
import { startDashboard, type Dashboard } from './server.js';


export class DashboardService implements Service {
  #server: Dashboard | undefined;
  /** One token for this sidecar's life: a restart keeps the owner's open page working. */
  readonly #token = newToken();
  #generation = 0;
  #stopReason: string | undefined;
  #stopped!: () => void;
  readonly #done = new Promise<void>((r) => (this.#stopped = r));
  #busy: Promise<void> = Promise.resolve();

  constructor(private readonly sc: Sidecar) {
    writeFileAtomic(path.join(sc.dir, TOKEN_FILE), `${this.#token}\n`, 0o600);
  }

  private async open(): Promise<void> {
    const node = this.sc.node;
    this.#generation++;
    this.sc.transition('starting', { generation: this.#generation, pid: null, pgid: null, pid_start: null, conflict: null });
    try {
      this.#server = await startDashboard({
        stateDir: this.sc.plan.stateDir,
        port: node.port ?? 0,
        token: this.#token,
        self: node.key,
        say: (m) => this.sc.say(m),
        onStackDown: () => this.stop('the stack was stopped from the dashboard'),
      });
    } catch (err: unknown) {
      const code = (err as NodeJS.ErrnoException).code;
      const holder = code === 'EADDRINUSE' && node.port !== null ? findPortHolder(node.port) : undefined;
      const reason = code === 'EADDRINUSE' ? `port ${node.port} is in use${holder ? ` by ${holder.command || 'another process'} (pid ${holder.pid})` : ''}` : `cannot listen on 127.0.0.1:${node.port}: ${code ?? String(err)}`;
      const conflict = code === 'EADDRINUSE' && node.port !== null ? { port: node.port, pid: holder?.pid ?? null, command: holder?.command ?? '' } : null;
      this.sc.say(reason);
      this.sc.transition('failed', { reason, conflict, health: { ok: false, detail: reason, checked_at: new Date().toISOString() } });
      return;
    }
    // The URL without the token: state.json is read by tools that print it (the token is in TOKEN_FILE).
    this.sc.say(`dashboard listening on http://127.0.0.1:${this.#server.port}/ (the URL with its token: devport dashboard --url)`);
    this.sc.transition('healthy', { reason: null, health: { ok: true, detail: `listening on 127.0.0.1:${this.#server.port}`, checked_at: new Date().toISOString() } });
  }

  private async closeServer(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s) await s.close();
  }

  async run(): Promise<void> {
    await this.open();
    await this.#done;
  }

  restart(): { accepted: boolean; message: string } {
    if (this.#stopReason !== undefined) return { accepted: false, message: 'stopping' };
    this.#busy = this.#busy.then(async () => {
      await this.closeServer();
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
      await this.closeServer();
      this.sc.transition('stopped', { reason: 'dashboard closed', pid: null, health: null });
      this.#stopped();
    });
  }
}
