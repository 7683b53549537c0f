// What reaches a supervisor's run loop from outside: stop, restart (rpc.sock,
// signals), reload (the watcher), built (a background build ended). One slot
// per kind, taken in priority order: a stop is never lost or overtaken, a
// restart overtakes a reload, reloads merge into one.

import type { BuildResult } from './build.js';
import type { Change } from './watch.js';

export type Letter =
  | { kind: 'stop' }
  | { kind: 'restart' }
  | { kind: 'reload'; change: Change }
  | { kind: 'built'; id: number; result: BuildResult };

type Kind = Letter['kind'];

export class Mailbox {
  #stop = false;
  #restart = false;
  #reload: Change | undefined;
  #built: Extract<Letter, { kind: 'built' }> | undefined;
  #waiter: ((l: Letter) => void) | undefined;

  post(l: Letter): void {
    switch (l.kind) {
      case 'stop':
        this.#stop = true;
        break;
      case 'restart':
        this.#restart = true;
        break;
      case 'reload': {
        const a = this.#reload;
        this.#reload = a ? { paths: [...new Set([...a.paths, ...l.change.paths])].slice(0, 10), count: a.count + l.change.count } : l.change;
        break;
      }
      case 'built':
        this.#built = l;
        break;
      default: {
        const never: never = l;
        return never;
      }
    }
    const w = this.#waiter;
    if (w) {
      const next = this.take();
      if (next) {
        this.#waiter = undefined;
        w(next);
      }
    }
  }

  /** Forgets letters of a kind (reloads older than a build that is about to read the files anyway). */
  drop(kind: Exclude<Kind, 'stop'>): void {
    if (kind === 'restart') this.#restart = false;
    else if (kind === 'reload') this.#reload = undefined;
    else this.#built = undefined;
  }

  /** The most urgent letter; a stop stays (every later wait sees it too). */
  private take(): Letter | undefined {
    if (this.#stop) return { kind: 'stop' };
    if (this.#restart) {
      this.#restart = false;
      this.#reload = undefined; // a restart reads the files anew
      return { kind: 'restart' };
    }
    if (this.#built) {
      const b = this.#built;
      this.#built = undefined;
      return b;
    }
    if (this.#reload) {
      const change = this.#reload;
      this.#reload = undefined;
      return { kind: 'reload', change };
    }
    return undefined;
  }

  /** The next letter, or undefined if `signal` aborts first. An abandoned wait never swallows a later letter. */
  next(signal?: AbortSignal): Promise<Letter | undefined> {
    const now = this.take();
    if (now) return Promise.resolve(now);
    if (signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = () => {
        if (this.#waiter === deliver) this.#waiter = undefined;
        resolve(undefined);
      };
      const deliver = (l: Letter) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(l);
      };
      this.#waiter = deliver;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
