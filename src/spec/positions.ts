// smol-toml gives values without positions, so this scanner walks the same
// text (already accepted by the parser, so it can be lenient) and records
// where every key, value, array element and table header sits. It never
// recurses or records past MAX_NESTING levels of path: deeper structures are
// skipped flat and the first place is kept as `tooDeep`, so neither a
// 3000-deep inline table nor a 100 000-segment dotted key costs more than a
// linear scan.

import type { SourceLocation } from '../errors/failure.js';
import { MAX_NESTING } from './limits.js';

export type Path = readonly (string | number)[];

export interface Span {
  start: number;
  end: number;
}

export interface Entry {
  /** The key as written (last segment), for "unknown key" errors. */
  key?: Span;
  /** The value: scalar, array or inline table. */
  value?: Span;
  /** A `[table]` or `[[array.of.tables]]` header that opened this path. */
  header?: Span;
}

export function pathKey(path: Path): string {
  return path.map(String).join('\u001f');
}

export class PositionIndex {
  readonly #entries = new Map<string, Entry>();
  readonly #lineStarts: number[] = [0];
  /** Where the text first nests deeper than MAX_NESTING levels (nothing deeper is indexed). */
  readonly tooDeep: Span | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
    const scanner = new Scanner(text, this.#entries);
    scanner.run();
    this.tooDeep = scanner.tooDeep;
  }

  get(path: Path): Entry | undefined {
    return this.#entries.get(pathKey(path));
  }

  /** The best span for an error about the value at `path`, walking up to a parent that has one. */
  valueSpan(path: Path): Span | undefined {
    for (let p = path; ; p = p.slice(0, -1)) {
      const e = this.get(p);
      const span = e?.value ?? e?.header ?? e?.key;
      if (span) return span;
      if (p.length === 0) return undefined;
    }
  }

  /** The best span for an error about the key at `path` (unknown key, misplaced key). */
  keySpan(path: Path): Span | undefined {
    const e = this.get(path);
    return e?.key ?? e?.header ?? this.valueSpan(path);
  }

  /** The header (or first key) of the table at `path`: for "missing key" errors. */
  tableSpan(path: Path): Span | undefined {
    const e = this.get(path);
    return e?.header ?? e?.key ?? this.valueSpan(path);
  }

  locate(span: Span | undefined): SourceLocation {
    const start = span?.start ?? 0;
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#lineStarts[mid] ?? 0) <= start) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.#lineStarts[lo] ?? 0;
    const nextStart = this.#lineStarts[lo + 1];
    const lineText = this.text.slice(lineStart, nextStart === undefined ? undefined : nextStart - 1).replace(/\r$/, '');
    const end = span ? Math.min(span.end, lineStart + lineText.length) : start + 1;
    return {
      file: this.file,
      line: lo + 1,
      col: start - lineStart + 1,
      length: Math.max(1, end - start),
      lineText,
    };
  }

  /** 1-based line and column → location (used for parser errors). */
  locateLineCol(line: number, col: number): SourceLocation {
    const lineStart = this.#lineStarts[Math.max(0, line - 1)] ?? 0;
    return this.locate({ start: lineStart + Math.max(0, col - 1), end: lineStart + Math.max(0, col - 1) + 1 });
  }
}

const BARE_KEY = /[A-Za-z0-9_-]/;

class Scanner {
  #i = 0;
  readonly #aot = new Map<string, number>();
  tooDeep: Span | undefined;

  constructor(
    private readonly s: string,
    private readonly entries: Map<string, Entry>,
  ) {}

  /** Remembers the first place nesting passes MAX_NESTING. */
  private deep(start: number): null {
    this.tooDeep ??= { start, end: start + 1 };
    return null;
  }

  run(): void {
    // null: inside a table nested too deep, whose keys are not indexed.
    let table: Path | null = [];
    const s = this.s;
    while (this.#i < s.length) {
      this.skipWsNl();
      if (this.#i >= s.length) break;
      if (s[this.#i] === '[') {
        const start = this.#i;
        const isAot = s[this.#i + 1] === '[';
        this.#i += isAot ? 2 : 1;
        this.skipWs();
        const segs = this.dottedKey();
        this.skipWs();
        this.#i += isAot ? 2 : 1;
        table = segs.length > MAX_NESTING ? this.deep(start) : this.resolveHeader(segs.map((k) => k.name), isAot);
        if (table !== null && table.length > MAX_NESTING) table = this.deep(start);
        if (table !== null) this.record(table, { header: { start, end: this.#i } });
      } else {
        this.keyValue(table);
      }
      this.skipToLineEnd();
    }
  }

  private resolveHeader(segs: string[], isAot: boolean): Path {
    const p: (string | number)[] = [];
    segs.forEach((seg, idx) => {
      p.push(seg);
      const count = this.#aot.get(pathKey(p));
      const last = idx === segs.length - 1;
      if (count !== undefined && !(last && isAot)) p.push(count - 1);
    });
    if (isAot) {
      const count = this.#aot.get(pathKey(p)) ?? 0;
      this.#aot.set(pathKey(p), count + 1);
      p.push(count);
    }
    return p;
  }

  private record(path: Path, e: Entry): void {
    const k = pathKey(path);
    this.entries.set(k, { ...this.entries.get(k), ...e });
  }

  private keyValue(base: Path | null): void {
    const start = this.#i;
    const keys = this.dottedKey();
    let p: (string | number)[] | null = null;
    if (base !== null && base.length + keys.length > MAX_NESTING) this.deep(start);
    else if (base !== null) {
      p = [...base];
      for (const k of keys) {
        p = [...p, k.name];
        this.record(p, { key: k.span });
      }
    }
    this.skipWs();
    if (this.s[this.#i] === '=') this.#i++;
    this.skipWs();
    this.value(p);
  }

  /** `path` null: a value inside something nested too deep, skipped without recursing. */
  private value(path: Path | null): void {
    const s = this.s;
    const start = this.#i;
    const c = s[this.#i];
    if ((c === '[' || c === '{') && (path === null || path.length >= MAX_NESTING)) {
      if (path !== null) this.deep(start);
      this.skipStructure();
      return;
    }
    if (path === null) {
      if (c === '"' || c === "'") this.string();
      else while (this.#i < s.length && !',]}\r\n#'.includes(s[this.#i] ?? '')) this.#i++;
      return;
    }
    if (c === '"' || c === "'") {
      this.string();
    } else if (c === '[') {
      this.#i++;
      let idx = 0;
      for (;;) {
        this.skipWsNl();
        if (this.#i >= s.length || s[this.#i] === ']') break;
        this.value([...path, idx++]);
        this.skipWsNl();
        if (s[this.#i] === ',') this.#i++;
      }
      this.#i++;
    } else if (c === '{') {
      this.#i++;
      for (;;) {
        this.skipWs();
        if (this.#i >= s.length || s[this.#i] === '}') break;
        this.keyValue(path);
        this.skipWs();
        if (s[this.#i] === ',') this.#i++;
      }
      this.#i++;
    } else {
      while (this.#i < s.length && !',]}\r\n#'.includes(s[this.#i] ?? '')) this.#i++;
      let end = this.#i;
      while (end > start && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
      this.record(path, { value: { start, end } });
      return;
    }
    this.record(path, { value: { start, end: this.#i } });
  }

  /** Skips an array or inline table and everything in it, iteratively (no recursion however deep). */
  private skipStructure(): void {
    const s = this.s;
    let depth = 0;
    while (this.#i < s.length) {
      const c = s[this.#i];
      if (c === '"' || c === "'") {
        this.string();
        continue;
      }
      if (c === '#') {
        this.skipToLineEnd();
        continue;
      }
      this.#i++;
      if (c === '[' || c === '{') depth++;
      else if ((c === ']' || c === '}') && --depth === 0) return;
    }
  }

  /** Skips a string of any of TOML's four kinds; returns its decoded-enough text (for keys). */
  private string(): string {
    const s = this.s;
    const q = s[this.#i] ?? '"';
    const triple = s.startsWith(q.repeat(3), this.#i);
    const open = triple ? 3 : 1;
    const bodyStart = this.#i + open;
    let j = bodyStart;
    for (;;) {
      if (j >= s.length) break;
      const ch = s[j];
      if (q === '"' && ch === '\\') {
        j += 2;
        continue;
      }
      if (!triple && ch === q) break;
      if (triple && s.startsWith(q.repeat(3), j)) {
        // Up to two quotes may sit right before the closing delimiter.
        while (s[j + 3] === q) j++;
        break;
      }
      j++;
    }
    const body = s.slice(bodyStart, j);
    this.#i = j + open;
    if (q === "'") return body;
    return body.replace(/\\(["\\])/g, '$1');
  }

  private dottedKey(): { name: string; span: Span }[] {
    const keys: { name: string; span: Span }[] = [];
    for (;;) {
      this.skipWs();
      const start = this.#i;
      let name: string;
      const c = this.s[this.#i];
      if (c === '"' || c === "'") {
        name = this.string();
      } else {
        while (this.#i < this.s.length && BARE_KEY.test(this.s[this.#i] ?? '')) this.#i++;
        name = this.s.slice(start, this.#i);
      }
      keys.push({ name, span: { start, end: this.#i } });
      this.skipWs();
      if (this.s[this.#i] !== '.') return keys;
      this.#i++;
    }
  }

  private skipWs(): void {
    while (this.s[this.#i] === ' ' || this.s[this.#i] === '\t') this.#i++;
  }

  private skipWsNl(): void {
    for (;;) {
      const c = this.s[this.#i];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.#i++;
      else if (c === '#') this.skipToLineEnd();
      else return;
    }
  }

  private skipToLineEnd(): void {
    while (this.#i < this.s.length && this.s[this.#i] !== '\n') this.#i++;
  }
}
