// The few TOML forms `init` writes: strings, lists of strings, inline tables,
// keys, and `key = value   # comment` lines with aligned comments.

/** A basic string. JSON's escapes are TOML's, except DEL and lone surrogates, which TOML refuses raw. */
export function str(s: string): string {
  const clean = s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return JSON.stringify(clean).replace(/\x7f/g, '\\u007f');
}

export function key(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : str(k);
}

export function list(items: readonly string[]): string {
  return `[${items.map(str).join(', ')}]`;
}

export function inlineTable(entries: readonly [string, string][]): string {
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${key(k)} = ${str(v)}`).join(', ')} }`;
}

/** Text fit for a comment: one line, no control characters. */
export function commentText(s: string): string {
  return s.replace(/[\x00-\x08\x0a-\x1f\x7f]+/g, ' ').trim();
}

const COMMENT_COLUMN = 36;

/** `line` with a trailing comment aligned like .devport.example.toml's. */
export function withComment(line: string, comment: string | undefined): string {
  if (!comment) return line;
  return `${line.padEnd(COMMENT_COLUMN - 1)} # ${commentText(comment)}`;
}
