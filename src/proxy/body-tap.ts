// A body as the proxy saw it pass: every byte counted, the first 64 KiB kept.
// Chunks are kept by reference while the body flows and copied into one small
// buffer when it ends (a chunk may be a view of a larger socket read, which
// must not be held alive). Deciding text or base64 waits until someone reads.

import type { CapturedBody } from './capture-types.js';

export const BODY_KEEP = 64 * 1024;

/** Content types whose bytes are text (when they decode as UTF-8). */
const TEXTUAL = /^(text\/|application\/(json|[\w.+-]*\+json|xml|[\w.+-]*\+xml|javascript|ecmascript|x-www-form-urlencoded|graphql|x-ndjson|ld\+json)|image\/svg\+xml)/i;
const BINARY = /^(image|audio|video|font)\/|^application\/(octet-stream|pdf|zip|gzip|wasm|x-protobuf|protobuf|grpc)/i;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A body up to this size is kept as a latin1 string (byte for byte): one object on V8's heap
 * instead of a Buffer that holds a socket read's memory outside it alive for the ring's life.
 */
const SMALL = 1024;

export class BodyTap {
  size = 0;
  #parts: Buffer[] | undefined = [];
  #kept = 0;
  #bytes: Buffer | undefined;
  #small: string | undefined;
  #sealed = false;
  truncated = false;

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.#parts === undefined || this.#kept >= BODY_KEEP) {
      // After the end (a body still flowing when its response ended): counted, not kept.
      if (chunk.length > 0 && !this.#sealed) this.truncated = true;
      return;
    }
    const room = BODY_KEEP - this.#kept;
    if (chunk.length > room) {
      this.#parts.push(chunk.subarray(0, room));
      this.#kept += room;
      this.truncated = true;
    } else {
      this.#parts.push(chunk);
      this.#kept += chunk.length;
    }
  }

  /** The body ended: what was kept becomes one buffer of its own (not a view holding a larger read alive). Returns the bytes now held. */
  seal(): number {
    if (this.#parts === undefined) return 0;
    const parts = this.#parts;
    this.#parts = undefined;
    this.#sealed = true;
    if (this.#kept <= SMALL) {
      this.#small = parts.length === 1 ? (parts[0] as Buffer).toString('latin1') : Buffer.concat(parts, this.#kept).toString('latin1');
      return this.#small.length;
    }
    this.#bytes = Buffer.concat(parts, this.#kept);
    return this.#bytes.length;
  }

  /** Forgets the kept bytes (the ring's memory budget): the size stays. */
  drop(): void {
    this.#parts = undefined;
    this.#bytes = undefined;
    this.#small = undefined;
  }

  /** Sealed bytes held (what the ring's budget counts; a body still flowing is not counted yet). */
  get held(): number {
    return this.#bytes?.length ?? this.#small?.length ?? 0;
  }

  bytes(): Buffer | undefined {
    if (this.#bytes) return this.#bytes;
    if (this.#small !== undefined) return Buffer.from(this.#small, 'latin1');
    return this.#parts ? Buffer.concat(this.#parts, this.#kept) : undefined;
  }

  /** The contract's shape: text when it is text, base64 otherwise; text null when not kept (or not wanted). */
  toJSON(contentType: string | undefined, contentEncoding: string | undefined, withText = true): CapturedBody {
    const b = withText ? this.bytes() : undefined;
    return { size: this.size, ...encodeBody(b, contentType, contentEncoding, this.truncated), truncated: this.truncated };
  }
}

/** Text (utf8) or base64 for these bytes; a truncated body may end inside a character. */
export function encodeBody(b: Buffer | undefined, contentType: string | undefined, contentEncoding: string | undefined, truncated: boolean): { text: string | null; encoding: 'utf8' | 'base64' } {
  const ct = contentType ?? '';
  const compressed = contentEncoding !== undefined && contentEncoding !== '' && contentEncoding.toLowerCase() !== 'identity';
  const maybeText = !compressed && !BINARY.test(ct) && (TEXTUAL.test(ct) || ct === '' || /charset=/i.test(ct));
  if (!b) return { text: null, encoding: maybeText ? 'utf8' : 'base64' };
  if (maybeText) {
    const text = decodeText(b, truncated, ct === '');
    if (text !== undefined) return { text, encoding: 'utf8' };
  }
  return { text: b.toString('base64'), encoding: 'base64' };
}

function decodeText(b: Buffer, truncated: boolean, sniff: boolean): string | undefined {
  // Without a content type, a NUL byte says binary even when it decodes.
  if (sniff && b.includes(0)) return undefined;
  for (let cut = 0; cut <= (truncated ? 3 : 0) && cut <= b.length; cut++) {
    try {
      return utf8.decode(cut === 0 ? b : b.subarray(0, b.length - cut));
    } catch {
      /* a character cut in half at the end: try one byte less */
    }
  }
  return undefined;
}
