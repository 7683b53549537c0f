// Why the foreground stops. The first request asks for a graceful stop, a
// second forces it. SIGINT/SIGTERM/SIGHUP, Ctrl-C and `q` in raw mode, the
// terminal going away (writes fail), the parent process exiting.

export class Interrupts {
  readonly graceful = new AbortController();
  readonly force = new AbortController();
  reason = 'interrupted';
  #count = 0;
  readonly #handlers = new Map<NodeJS.Signals, () => void>();

  constructor() {
    const words: Record<string, string> = { SIGINT: 'interrupted', SIGTERM: 'terminated', SIGHUP: 'hangup: the terminal went away' };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      // A hangup is the terminal going away, not someone asking twice: it never forces.
      const h = s === 'SIGHUP' ? () => this.stop(words[s] ?? s) : () => this.fire(words[s] ?? s);
      this.#handlers.set(s, h);
      process.on(s, h);
    }
  }

  /** Someone asked (a signal, Ctrl-C, q): the first time gracefully, the second time by force. */
  fire(reason: string): void {
    this.#count++;
    if (this.#count === 1) {
      this.reason = reason;
      this.graceful.abort();
    } else this.force.abort();
  }

  /** Something went away (the terminal, the parent, the stack itself): stop gracefully, never escalate. */
  stop(reason: string): void {
    if (this.graceful.signal.aborted) return;
    this.#count++;
    this.reason = reason;
    this.graceful.abort();
  }

  /** Resolves once a graceful stop was asked for. */
  requested(): Promise<void> {
    const signal = this.graceful.signal;
    return new Promise((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  dispose(): void {
    for (const [s, h] of this.#handlers) process.off(s, h);
  }
}
