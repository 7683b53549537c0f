// Hot reload's eyes: the files a service watches, by glob relative to its cwd,
// minus watch_ignore and what is always ignored (node_modules, .git, every
// .devport). @parcel/watcher puts one inotify watch on each directory that is
// not ignored (Node's recursive fs.watch cannot skip node_modules: 1,103
// watches against 52 on a tree with 500 packages, bench/RESULTS.md); picomatch
// matches the paths. Changes are debounced into one burst, then compared by
// content: a save that leaves the bytes as they were (`touch`, an editor
// rewriting the same text) is no change.
//
// @parcel/watcher reports the first event after a quiet spell at once and then
// holds the rest of a burst until it has been quiet for 50 ms (src/Debounce.cc),
// so a burst arrives as a head and, later, a tail. A reload cut between the two
// is a restart too many (a formatter writing one file every 20 ms). So every
// directory of a small tree also has a plain inotify watch (fs.watch, immediate,
// non-recursive) for as long as the watcher runs: what it reports joins the
// burst at once, and the reload waits until it is quiet. In a big tree only the
// directories a burst touches get one, while it lasts, and a sign of a tail
// still to come stretches the wait to @parcel/watcher's own.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import picomatch from 'picomatch';

/** Ignored wherever they are: dependencies, git's own files, and devport's state dirs. */
export const ALWAYS_IGNORED = ['**/node_modules/**', '**/.git/**', '**/.devport/**'];

/** Past this size a file is compared by size and mtime: hashing it on every save would cost more than the reload. */
const HASH_MAX_BYTES = 4 * 1024 * 1024;

/** A burst is flushed at the latest this long after it began (a writer that never stops). */
const MAX_WAIT_MS = 2000;

/** @parcel/watcher's own quiet time before it delivers the rest of a burst (src/Debounce.hh MIN_WAIT_TIME), plus a margin. */
const NATIVE_TAIL_MS = 75;

/** A tree with at most this many directories has an immediate watch on each, for good. */
const PERMANENT_SENSORS = 64;

/** In a bigger tree, how many directories of a burst get an immediate watch (the ones it touched first). */
const MAX_SENSORS = 16;

export interface WatchSpec {
  cwd: string;
  patterns: readonly string[];
  ignore: readonly string[];
  debounceMs: number;
}

/** What changed in one burst: up to 10 paths (relative to cwd), and how many in all. */
export interface Change {
  paths: string[];
  count: number;
}

interface ParcelWatcher {
  subscribe(dir: string, fn: (err: Error | null, events: { path: string; type: string }[]) => void, opts: { ignore: string[] }): Promise<{ unsubscribe(): Promise<void> }>;
}

/** The directories to subscribe to: each pattern's static base (or its nearest existing ancestor), nested ones folded into their parent. */
export function watchRoots(cwd: string, patterns: readonly string[]): string[] {
  const roots = patterns.map((p) => {
    const scan = picomatch.scan(p);
    let base = path.resolve(cwd, scan.isGlob ? scan.base : path.dirname(p));
    while (!existsSync(base) && path.dirname(base) !== base) base = path.dirname(base);
    return base;
  });
  const sorted = [...new Set(roots)].sort((a, b) => a.length - b.length);
  return sorted.filter((r, i) => !sorted.slice(0, i).some((outer) => r === outer || r.startsWith(outer + path.sep)));
}

/** A file's content identity: a hash, or size and mtime for big files; undefined when it is gone. */
function signature(file: string): string | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile()) return undefined;
    if (st.size > HASH_MAX_BYTES) return `${st.size}:${st.mtimeMs}`;
    return createHash('sha1').update(readFileSync(file)).digest('base64');
  } catch {
    return undefined;
  }
}

export class FileWatcher {
  readonly #matches: (rel: string) => boolean;
  readonly #ignored: (rel: string) => boolean;
  /** Content signatures of the watched files, as of the last reload (or the start). */
  readonly #known = new Map<string, string>();
  readonly #pending = new Set<string>();
  #subs: { unsubscribe(): Promise<void> }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #firstAt = 0;
  /** The last sign of the burst: a callback, or an event a sensor saw. */
  #lastActivity = 0;
  /** A sensor saw activity since the last callback: @parcel/watcher holds a tail still to come. */
  #tailPending = false;
  readonly #sensors = new Map<string, FSWatcher>();
  /** Every directory of the tree has a sensor: they report whole bursts, no tail to wait for. */
  #permanent = false;
  #closed = false;

  constructor(
    private readonly spec: WatchSpec,
    private readonly onChange: (c: Change) => void,
  ) {
    this.#matches = picomatch([...spec.patterns], { dot: true });
    this.#ignored = picomatch([...spec.ignore, ...ALWAYS_IGNORED], { dot: true });
  }

  /** Subscribes, then takes the content snapshot. Resolves with how many files are watched. */
  async start(): Promise<{ files: number; roots: string[] }> {
    const watcher = createRequire(import.meta.url)('@parcel/watcher') as ParcelWatcher;
    const roots = watchRoots(this.spec.cwd, this.spec.patterns);
    // Directories never watched at all: by name anywhere, and by the user's globs (relative to each root).
    const ignore = ['node_modules', '.git', '.devport', ...ALWAYS_IGNORED];
    for (const root of roots) {
      if (this.#closed) break;
      this.#subs.push(await watcher.subscribe(root, (err, events) => (err ? undefined : this.take(events)), { ignore }));
    }
    // Subscribed first, then the snapshot: a change made meanwhile is seen (and compared against what was read).
    const { glob } = await import('tinyglobby');
    const files = await glob([...this.spec.patterns], { cwd: this.spec.cwd, ignore: [...this.spec.ignore, ...ALWAYS_IGNORED], dot: true, absolute: true, onlyFiles: true });
    for (let i = 0; i < files.length && !this.#closed; i++) {
      const f = files[i] as string;
      if (!this.#known.has(f)) {
        const sig = signature(f);
        if (sig !== undefined) this.#known.set(f, sig);
      }
      // Yield now and then: the snapshot of a big tree must not stall the sidecar.
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    const dirs = new Set([...roots, ...files.map((f) => path.dirname(f))]);
    if (dirs.size <= PERMANENT_SENSORS && !this.#closed) {
      this.#permanent = true;
      for (const d of dirs) this.sense(d);
    }
    return { files: this.#known.size, roots };
  }

  private rel(abs: string): string {
    return path.relative(this.spec.cwd, abs).split(path.sep).join('/');
  }

  private take(events: readonly { path: string }[]): void {
    const dirs = new Set<string>();
    for (const e of events) {
      const rel = this.rel(e.path);
      if (!this.relevant(rel)) continue;
      this.#pending.add(e.path);
      dirs.add(path.dirname(e.path));
    }
    if (dirs.size === 0 || this.#closed) return;
    const now = Date.now();
    if (this.#timer === undefined) this.#firstAt = now;
    this.#lastActivity = now;
    this.#tailPending = false;
    for (const d of dirs) this.sense(d);
    this.schedule();
  }

  private relevant(rel: string): boolean {
    return !this.#ignored(rel) && this.#matches(rel);
  }

  /** An immediate watch on a directory the burst touches: activity there means more is coming. */
  private sense(dir: string): void {
    if (this.#sensors.has(dir) || this.#sensors.size >= (this.#permanent ? PERMANENT_SENSORS : MAX_SENSORS)) return;
    try {
      const w = watch(dir, { persistent: false }, (_type, name) => {
        if (name === null || this.#closed) return;
        const abs = path.join(dir, name.toString());
        if (!this.relevant(this.rel(abs))) return;
        const now = Date.now();
        if (this.#timer === undefined) this.#firstAt = now;
        this.#lastActivity = now;
        // A file the burst already reported (the rest of one save): its content is read at the flush anyway.
        // Another file: with sensors everywhere it joins the burst now; otherwise @parcel/watcher holds it
        // in a tail still to come.
        if (this.#permanent) this.#pending.add(abs);
        else if (!this.#pending.has(abs)) this.#tailPending = true;
        this.schedule();
      });
      w.on('error', () => {
        w.close();
        if (this.#sensors.get(dir) === w) this.#sensors.delete(dir);
      });
      this.#sensors.set(dir, w);
    } catch {
      /* gone already */
    }
  }

  /** Flush once the burst has been quiet for the debounce (long enough for the native tail when one is due), or at the latest MAX_WAIT_MS after it began. */
  private schedule(): void {
    clearTimeout(this.#timer);
    const quiet = this.#tailPending ? Math.max(this.spec.debounceMs, NATIVE_TAIL_MS) : this.spec.debounceMs;
    const due = Math.min(this.#lastActivity + quiet, this.#firstAt + Math.max(MAX_WAIT_MS, this.spec.debounceMs));
    this.#timer = setTimeout(() => this.flush(), Math.max(0, due - Date.now()));
  }

  /** The burst is over: keep only the files whose content changed, and say so once. */
  private flush(): void {
    this.#timer = undefined;
    this.#tailPending = false;
    if (!this.#permanent) {
      for (const w of this.#sensors.values()) w.close();
      this.#sensors.clear();
    }
    const changed: string[] = [];
    for (const abs of this.#pending) {
      const before = this.#known.get(abs);
      const now = signature(abs);
      if (now === before) continue; // the same bytes (or created and removed within the burst)
      if (now === undefined) this.#known.delete(abs);
      else this.#known.set(abs, now);
      changed.push(this.rel(abs));
    }
    this.#pending.clear();
    if (changed.length === 0 || this.#closed) return;
    changed.sort();
    this.onChange({ paths: changed.slice(0, 10), count: changed.length });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#sensors.values()) w.close();
    this.#sensors.clear();
    const subs = this.#subs;
    this.#subs = [];
    await Promise.all(subs.map((s) => s.unsubscribe().catch(() => {})));
  }
}
