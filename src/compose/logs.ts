// The containers' output into the sidecar's (pane and output.log): one
// `docker logs -f` per container run, from the moment that run started, so a
// container restarted by docker is picked up again without repeating itself.
// And the project's container events, to notice a change at once.

import { spawn, type ChildProcess } from 'node:child_process';
import { engineSocket, streamEvents } from './api.js';

export class LogFollower {
  readonly #child: ChildProcess;
  #tail = '';
  /** Bytes it has passed on. */
  bytes = 0;
  readonly done: Promise<void>;

  /**
   * `prefix`: put before each line (a node with several services says whose line it is).
   * `run`: the container run it follows (its StartedAt). `after`: when its previous run ended (its
   * FinishedAt), so that run's lines are not shown again; empty for a first run: all of it (the last
   * 1000 lines). Not StartedAt: a process's first lines are logged before docker records its start.
   */
  constructor(
    docker: string,
    env: Record<string, string>,
    readonly id: string,
    readonly run: string,
    after: string,
    prefix: string,
    out: (d: Buffer) => void,
  ) {
    const args = ['logs', '--follow', ...(after ? ['--since', after] : ['--tail', '1000']), id];
    this.#child = spawn(docker, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = { out: '', err: '' };
    const take = (which: 'out' | 'err') => (d: Buffer) => {
      this.#tail = (this.#tail + d.toString()).slice(-4096);
      this.bytes += d.length;
      if (!prefix) return out(d);
      const text = partial[which] + d.toString();
      const cut = text.lastIndexOf('\n') + 1;
      partial = { ...partial, [which]: text.slice(cut) };
      if (cut > 0) out(Buffer.from(text.slice(0, cut).replace(/^(?=.)/gm, prefix)));
    };
    this.#child.stdout?.on('data', take('out'));
    this.#child.stderr?.on('data', take('err'));
    this.done = new Promise((resolve) => {
      this.#child.once('error', () => resolve());
      this.#child.once('close', () => {
        for (const rest of [partial.out, partial.err]) if (rest) out(Buffer.from(`${prefix}${rest}\n`));
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The last non-empty lines it printed. */
  lastLines(n: number): string[] {
    return this.#tail
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l.trim() !== '')
      .slice(-n);
  }

  kill(): void {
    if (this.running) this.#child.kill('SIGTERM');
  }
}

/** The container events that change what the sidecar reports (`health_status` matches `health_status: healthy`). */
const EVENTS = ['create', 'start', 'restart', 'die', 'stop', 'kill', 'oom', 'pause', 'unpause', 'destroy', 'health_status'];

/** The project's container events (over the engine's socket, else `docker events`); each calls `onEvent`. Restarted if it ends, until closed. */
export class EventWatch {
  #stream: { close(): void; readonly live: boolean } | undefined;
  #starts = 0;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly docker: string,
    private readonly env: Record<string, string>,
    private readonly project: string,
    private readonly onEvent: (action: string) => void,
  ) {
    this.start();
  }

  /** The stream is running: what changes is heard of at once. */
  get live(): boolean {
    return this.#stream?.live === true;
  }

  private start(): void {
    if (this.#closed) return;
    // Started again after a gap: what happened meanwhile was not heard.
    const again = this.#starts++ > 0;
    const ended = () => {
      if (this.#closed) return;
      this.onEvent('disconnected');
      this.#timer = setTimeout(() => this.start(), 1000);
    };
    // Only what changes a container's state: a healthcheck's own exec_create / exec_start / exec_die
    // every interval would wake the sidecar for nothing.
    const query = { type: ['container'], label: [`com.docker.compose.project=${this.project}`], event: EVENTS };
    const socket = engineSocket(this.env);
    this.#stream = socket ? streamEvents(socket, query, this.onEvent, ended) : this.cli(query, ended);
    if (again) this.onEvent('reconnected');
  }

  private cli(query: Record<string, string[]>, ended: () => void): { close(): void; readonly live: boolean } {
    const args = Object.entries(query).flatMap(([k, vs]) => vs.flatMap((v) => ['--filter', `${k}=${v}`]));
    const child: ChildProcess = spawn(this.docker, ['events', ...args, '--format', '{{.Action}}'], { env: this.env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout?.on('data', (d: Buffer) => {
      for (const action of d.toString().split('\n')) if (action.trim()) this.onEvent(action.trim());
    });
    child.once('error', () => undefined);
    child.once('close', ended);
    return {
      close: () => {
        child.removeListener('close', ended);
        if (child.exitCode === null) child.kill('SIGTERM');
      },
      get live() {
        return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
      },
    };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stream?.close();
  }
}
