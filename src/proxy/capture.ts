// The request inspector's ring: the last N requests through a proxy, kept by
// its sidecar (src/proxy/capture-types.ts is the shape it serves). The hot
// path only records references (raw header arrays, the response's header
// block, body chunks up to 64 KiB); turning them into the contract's JSON
// happens when somebody reads. Bodies have a memory budget across the ring.

import { BodyTap } from './body-tap.js';
import type { CapturedRequest } from './capture-types.js';

export const DEFAULT_CAPTURE = 500;
/** Past this many kept body bytes in the ring, the oldest entries' bodies are dropped (their sizes stay). */
export const BODY_BUDGET = 32 * 1024 * 1024;
/** The header a replay carries so its capture can be found; never forwarded (forward.ts). */
export const REPLAY_HEADER = 'x-devport-replay';

type Kind = CapturedRequest['kind'];

/** One request in flight or done. Mutable while it runs; the ring serialises it on demand. */
export class Capture {
  status: number | null = null;
  route: string | null = null;
  upstream: { key: string; generation: number | null } | null = null;
  durationMs: number | null = null;
  waitMs: number | null = null;
  error: string | null = null;
  /** Response headers: the block Node wrote ("HTTP/1.1 200 OK\r\nname: value…"), or raw pairs (WebSocket). */
  resHead: string | null = null;
  resRaw: readonly string[] | null = null;
  reqBody: BodyTap | null = null;
  resBody: BodyTap | null = null;
  done = false;
  /** performance.now() at arrival; the wall-clock time is derived from it when read (no Date per request). */
  readonly t0 = performance.now();

  constructor(
    readonly ring: CaptureRing,
    readonly id: number,
    public kind: Kind,
    readonly method: string,
    readonly url: string,
    readonly reqRaw: readonly string[],
  ) {}

  /** The upstream's status line arrived (forward.ts). An event stream is open from here on: say so now. */
  responseStarted(status: number, eventStream: boolean): void {
    this.status = status;
    this.waitMs = performance.now() - this.t0;
    if (eventStream) {
      this.kind = 'sse';
      this.ring.changed(this);
    }
  }

  requestBody(): BodyTap {
    return (this.reqBody ??= new BodyTap());
  }

  responseBody(): BodyTap {
    return (this.resBody ??= new BodyTap());
  }

  /** The response ended (or broke off): `status` as the access log has it, `head` the header block sent. */
  finish(route: string | null, status: number | null, head: string | null, error: string | null): void {
    if (this.done) return;
    this.done = true;
    this.route = route;
    if (status !== null) this.status = status;
    if (head !== null) this.resHead = head;
    if (error !== null) this.error = error;
    this.durationMs = performance.now() - this.t0;
    this.ring.finished(this);
  }
}

const pairs = (raw: readonly string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] ?? '', raw[i + 1] ?? '']);
  return out;
};

/** "HTTP/1.1 200 OK\r\na: b\r\n\r\n" → [["a", "b"]]. */
export function headBlockPairs(head: string): [string, string][] {
  const out: [string, string][] = [];
  const lines = head.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i] ?? '';
    const c = l.indexOf(':');
    if (c > 0) out.push([l.slice(0, c), l.slice(c + 1).trim()]);
  }
  return out;
}

const headerOf = (h: readonly [string, string][], name: string): string | undefined => h.find(([n]) => n.toLowerCase() === name)?.[1];

export class CaptureRing {
  readonly #slots: (Capture | undefined)[];
  #lastId = 0;
  #bodyBytes = 0;
  /** The oldest id whose bodies may still be held (the budget drops from here). */
  #dropFrom = 1;
  readonly #subscribers = new Set<(c: CapturedRequest) => void>();
  readonly #replays = new Map<string, (id: number) => void>();

  constructor(readonly limit: number) {
    this.#slots = new Array<Capture | undefined>(limit);
  }

  get lastId(): number {
    return this.#lastId;
  }

  begin(kind: Kind, method: string, url: string, rawHeaders: readonly string[]): Capture {
    const c = new Capture(this, ++this.#lastId, kind, method, url, rawHeaders);
    const slot = (c.id - 1) % this.limit;
    const old = this.#slots[slot];
    if (old) this.#release(old);
    this.#slots[slot] = c;
    // Only while a replay waits: one map check, no header lookup, on every other request.
    if (this.#replays.size > 0) this.#noteReplay(c, rawHeaders);
    if (this.#subscribers.size > 0) this.changed(c);
    return c;
  }

  #noteReplay(c: Capture, raw: readonly string[]): void {
    for (let i = 0; i < raw.length; i += 2) {
      if ((raw[i] ?? '').toLowerCase() !== REPLAY_HEADER) continue;
      const wake = this.#replays.get(raw[i + 1] ?? '');
      if (wake) {
        this.#replays.delete(raw[i + 1] ?? '');
        wake(c.id);
      }
    }
  }

  /** Calls `fn` with the capture id of the request carrying REPLAY_HEADER: token. Returns the cancel. */
  expectReplay(token: string, fn: (id: number) => void): () => void {
    this.#replays.set(token, fn);
    return () => this.#replays.delete(token);
  }

  #release(c: Capture): void {
    this.#bodyBytes -= (c.reqBody?.held ?? 0) + (c.resBody?.held ?? 0);
    c.reqBody?.drop();
    c.resBody?.drop();
  }

  finished(c: Capture): void {
    this.#bodyBytes += (c.reqBody?.seal() ?? 0) + (c.resBody?.seal() ?? 0);
    if (this.#bodyBytes > BODY_BUDGET) this.#trim();
    if (this.#subscribers.size > 0) this.changed(c);
  }

  /** Drops the bodies of the oldest entries until the ring is within its budget again. */
  #trim(): void {
    const first = Math.max(this.#dropFrom, this.#lastId - this.limit + 1);
    for (let id = first; id <= this.#lastId && this.#bodyBytes > BODY_BUDGET; id++) {
      const c = this.get(id);
      if (c?.done) this.#release(c);
      this.#dropFrom = id + 1;
    }
  }

  changed(c: Capture): void {
    if (this.#subscribers.size === 0) return;
    const json = this.toJSON(c, false);
    for (const fn of this.#subscribers) fn(json);
  }

  subscribe(fn: (c: CapturedRequest) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  get(id: number): Capture | undefined {
    if (!Number.isInteger(id) || id < 1 || id > this.#lastId) return undefined;
    const c = this.#slots[(id - 1) % this.limit];
    return c?.id === id ? c : undefined;
  }

  /** Oldest first: the first `limit` with ids above `after`; without `after`, the newest `limit`. */
  list(after: number | undefined, limit: number): Capture[] {
    const oldest = Math.max(1, this.#lastId - this.limit + 1);
    const from = after === undefined ? Math.max(oldest, this.#lastId - limit + 1) : Math.max(oldest, after + 1);
    const out: Capture[] = [];
    for (let id = from; id <= this.#lastId && out.length < limit; id++) {
      const c = this.get(id);
      if (c) out.push(c);
    }
    return out;
  }

  /** The contract's JSON. `bodies` false: the body text left out (sizes kept), for lists and the stream. */
  toJSON(c: Capture, bodies: boolean): CapturedRequest {
    const request_headers = pairs(c.reqRaw);
    const response_headers = c.resRaw ? pairs(c.resRaw) : c.resHead ? headBlockPairs(c.resHead) : [];
    const reqType = headerOf(request_headers, 'content-type');
    const resType = headerOf(response_headers, 'content-type');
    return {
      id: c.id,
      kind: c.kind,
      started_at: new Date(performance.timeOrigin + c.t0).toISOString(),
      method: c.method,
      url: c.url,
      route: c.route,
      upstream: c.upstream,
      status: c.status,
      duration_ms: c.durationMs === null ? null : round(c.durationMs),
      wait_ms: c.waitMs === null ? null : round(c.waitMs),
      request_headers,
      response_headers,
      request_body: c.reqBody ? c.reqBody.toJSON(reqType, headerOf(request_headers, 'content-encoding'), bodies) : null,
      // An upstream's response without a byte of body has an empty one (its tap is made at the first byte).
      response_body: c.resBody ? c.resBody.toJSON(resType, headerOf(response_headers, 'content-encoding'), bodies) : c.done && c.waitMs !== null ? EMPTY_BODY : null,
      error: c.error,
    };
  }

  close(): void {
    this.#subscribers.clear();
    this.#replays.clear();
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const EMPTY_BODY = Object.freeze({ size: 0, text: '', encoding: 'utf8', truncated: false }) as CapturedRequest['response_body'];
