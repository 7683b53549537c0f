// Every default devport applies, once. The spec model fills them in, the plan
// and the proxy fall back to them, `down` waits as long as they say; a small
// module of its own so sidecars import it without the spec validator.

export const DEFAULTS = {
  host: '127.0.0.1',
  portRange: [20000, 29999] as [number, number],
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 5000,
  holdTimeoutMs: 10_000,
  /** Requests a proxy keeps for the request inspector. */
  capture: 500,
  /** Trailing quiet time before a hot reload: an editor's save or a `git checkout` is one burst. */
  watchDebounceMs: 50,
  health: { intervalMs: 200, timeoutMs: 30_000, probeTimeoutMs: 2000, recheckIntervalMs: 2000, settleMs: 300 },
  isolation: { mode: 'worktree' as 'worktree' | 'always' | 'off', offset: 1000, range: 1000, scan: 20 },
  /** How long `down` (and an `up` stopping its stack) gives sidecars before killing them. */
  downTimeoutMs: 10_000,
} as const;
