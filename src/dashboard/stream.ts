// The stack's changes as they happen, for /api/stream: each live sidecar's
// rpc.sock /events stream (pushed by the sidecar on every transition), and
// for a dir without a live sidecar, inotify on the dir (a sidecar starting
// there writes state.json and binds rpc.sock: then its stream is followed).
// No polling cadence: nothing runs while nothing changes.

import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { rpcEvents } from '../rpc/client.js';
import { listServiceDirs, RPC_SOCK } from '../state/dirs.js';
import { isLocked } from '../state/lock.js';
import { readView, PlanCache, viewOf } from './snapshot.js';
import type { NodeView, StreamFrame } from './types.js';

class KeyWatch {
  #ctl: AbortController | undefined;
  #fsw: FSWatcher | undefined;
  #last = '';
  #closed = false;
  #pending = false;

  constructor(
    readonly key: string,
    private readonly dir: string,
    private readonly plans: PlanCache,
    private readonly emit: (v: NodeView) => void,
    private readonly gone: (key: string) => void,
  ) {}

  start(): void {
    this.look();
  }

  private send(v: NodeView): void {
    const text = JSON.stringify(v);
    if (text === this.#last) return;
    this.#last = text;
    this.emit(v);
  }

  /** Where this key is now: a live sidecar with a socket is followed; otherwise the dir is watched. */
  private look(): void {
    if (this.#closed || !this.refresh()) return;
    if (this.live()) this.follow();
    else this.watchDir();
  }

  /** Sends what the dir says now; false (and the key is gone) when the dir is. */
  private refresh(): boolean {
    if (!existsSync(this.dir)) {
      this.close();
      this.gone(this.key);
      return false;
    }
    this.send(readView(path.dirname(this.dir), this.key, this.plans.get()));
    return true;
  }

  /** A live sidecar with a socket to follow. */
  private live(): boolean {
    return isLocked(this.dir) && existsSync(path.join(this.dir, RPC_SOCK));
  }

  private follow(): void {
    this.#fsw?.close();
    this.#fsw = undefined;
    const ctl = new AbortController();
    this.#ctl = ctl;
    const ended = () => {
      if (ctl.signal.aborted || this.#closed) return;
      this.#ctl = undefined;
      // The sidecar went away (or is not answering yet): what it left, then the dir.
      this.send(readView(path.dirname(this.dir), this.key, this.plans.get()));
      this.watchDir();
    };
    rpcEvents(this.dir, (s) => this.send(viewOf(this.key, true, s, this.plans.get())), ctl.signal).then(ended, ended);
  }

  private watchDir(): void {
    if (this.#fsw || this.#closed) return;
    try {
      this.#fsw = watch(this.dir, { persistent: false }, () => this.soon());
      this.#fsw.on('error', () => this.soon());
    } catch {
      this.close();
      this.gone(this.key);
      return;
    }
    // What changed between the look and the watch.
    this.soon();
  }

  /** One look per burst of inotify events (a rename is several). */
  private soon(): void {
    if (this.#pending) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      if (this.#ctl || this.#closed || !this.refresh()) return;
      if (this.live()) this.follow();
    });
  }

  close(): void {
    this.#closed = true;
    this.#ctl?.abort();
    this.#fsw?.close();
  }
}

export class StackWatcher {
  readonly #keys = new Map<string, KeyWatch>();
  readonly #listeners = new Set<(f: StreamFrame) => void>();
  #dirWatch: FSWatcher | undefined;

  constructor(
    private readonly stateDir: string,
    private readonly plans: PlanCache,
  ) {}

  start(): void {
    this.rescan();
    try {
      // A new state dir (a service added by `up` or `start`): follow it too.
      this.#dirWatch = watch(this.stateDir, { persistent: false }, () => this.rescan());
      this.#dirWatch.on('error', () => {});
    } catch {
      /* no .devport yet: nothing runs */
    }
  }

  private rescan(): void {
    for (const key of listServiceDirs(this.stateDir)) {
      if (this.#keys.has(key)) continue;
      const w = new KeyWatch(key, path.join(this.stateDir, key), this.plans, (node) => this.publish({ kind: 'node', node }), (k) => {
        this.#keys.delete(k);
        this.publish({ kind: 'gone', key: k });
      });
      this.#keys.set(key, w);
      w.start();
    }
  }

  private publish(f: StreamFrame): void {
    for (const fn of this.#listeners) fn(f);
  }

  subscribe(fn: (f: StreamFrame) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  close(): void {
    this.#dirWatch?.close();
    for (const w of this.#keys.values()) w.close();
    this.#keys.clear();
    this.#listeners.clear();
  }
}
