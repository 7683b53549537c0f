// The page's copy of the stack: the snapshot, then each change from /api/stream.

import type { NodeView, Snapshot, StreamFrame } from '../src/dashboard/types.js';
import { stream } from './api.js';

type Listener = (changed: NodeView | null, removed?: string) => void;

export class Store {
  readonly nodes = new Map<string, NodeView>();
  project = '';
  self: string | null = null;
  connected = false;
  readonly #listeners = new Set<Listener>();
  readonly #status = new Set<(open: boolean) => void>();

  start(): void {
    stream<StreamFrame>('/api/stream', (f) => this.apply(f), (open) => {
      this.connected = open;
      for (const fn of this.#status) fn(open);
    });
  }

  private apply(f: StreamFrame): void {
    if (f.kind === 'snapshot') {
      this.load(f.snapshot);
      this.emit(null);
    } else if (f.kind === 'node') {
      this.nodes.set(f.node.key, f.node);
      this.emit(f.node);
    } else {
      this.nodes.delete(f.key);
      this.emit(null, f.key);
    }
  }

  private load(s: Snapshot): void {
    this.project = s.project;
    this.self = s.self;
    this.nodes.clear();
    for (const n of s.nodes) this.nodes.set(n.key, n);
  }

  private emit(n: NodeView | null, removed?: string): void {
    for (const fn of this.#listeners) fn(n, removed);
  }

  on(fn: Listener): void {
    this.#listeners.add(fn);
  }

  onStatus(fn: (open: boolean) => void): void {
    this.#status.add(fn);
  }

  list(): NodeView[] {
    return [...this.nodes.values()];
  }
}
