// A service whose server runs inline in its own sidecar, with no child: a proxy's
// router, the dashboard. Starting until it listens, then healthy; failed when it
// cannot listen (a port held by another program is named). Restarts and the stop
// run one after another, never over each other.

import { findPortHolder } from '../plan/listening.js';
import type { Service, Sidecar } from './sidecar.js';

export abstract class InlineService implements Service {
  #generation = 0;
  #stopReason: string | undefined;
  #stopped!: () => void;
  readonly #done = new Promise<void>((r) => (this.#stopped = r));
  #busy: Promise<void> = Promise.resolve();

  constructor(protected readonly sc: Sidecar) {}

  /** Listens (throws when it cannot); returns the line to say and the health detail. */
  protected abstract listen(): Promise<{ said: string; detail: string }>;
  /** Closes what listen() opened (nothing when it failed). */
  protected abstract close(): Promise<void>;
  /** Once closed for good: what else to let go of, and the reason `stopped` records. */
  protected abstract released(): string;
  /** The address a failed listen names when the port is not the trouble. */
  protected abstract address(): string;

  private async open(): Promise<void> {
    const node = this.sc.node;
    this.#generation++;
    this.sc.transition('starting', { generation: this.#generation, pid: null, pgid: null, pid_start: null, conflict: null });
    let up: { said: string; detail: string };
    try {
      up = await this.listen();
    } catch (err: unknown) {
      const code = (err as NodeJS.ErrnoException).code;
      const holder = code === 'EADDRINUSE' && node.port !== null ? findPortHolder(node.port) : undefined;
      const by = holder ? ` by ${holder.command || 'another process'} (pid ${holder.pid})` : '';
      const reason = code === 'EADDRINUSE' ? `port ${node.port} is in use${by}` : `cannot listen on ${this.address()}: ${code ?? String(err)}`;
      const conflict = code === 'EADDRINUSE' && node.port !== null ? { port: node.port, pid: holder?.pid ?? null, command: holder?.command ?? '' } : null;
      this.sc.say(reason);
      this.sc.transition('failed', { reason, conflict, pid: null, health: { ok: false, detail: reason, checked_at: new Date().toISOString() } });
      return;
    }
    this.sc.say(up.said);
    this.sc.transition('healthy', { reason: null, health: { ok: true, detail: up.detail, checked_at: new Date().toISOString() } });
  }

  async run(): Promise<void> {
    await this.open();
    await this.#done;
  }

  restart(): { accepted: boolean; message: string } {
    if (this.#stopReason !== undefined) return { accepted: false, message: 'stopping' };
    this.#busy = this.#busy.then(async () => {
      await this.close();
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
      await this.close();
      this.sc.transition('stopped', { reason: this.released(), pid: null, health: null });
      this.#stopped();
    });
  }
}
