// Durations as users write them: "250ms", "5s", "1m", "1h", "1m30s", "1.5s".

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export const DURATION_FORMS = '"250ms", "5s", "1m", "1m30s"';

/**
 * The longest duration devport accepts, in the spec and in duration flags: 24h.
 * Node's timers hold at most 2^31-1 ms (about 24.8 days); past that setTimeout
 * fires after 1 ms, so a huge stop_timeout would kill at once. Nothing in a dev
 * stack needs to wait longer than a day.
 */
export const MAX_DURATION_MS = 24 * 3_600_000;
export const MAX_DURATION_TEXT = '24h';

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  const m = Math.floor(ms / 60_000);
  const rest = ms - m * 60_000;
  return rest === 0 ? `${m}m` : `${m}m${formatDuration(rest)}`;
}
