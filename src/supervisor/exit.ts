// How a child ended, and the words for it.

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export function describeExit(e: ExitInfo): string {
  if (e.signal) return `killed by ${e.signal}`;
  return `exited ${e.code ?? '?'}`;
}

/** node-pty reports a signal number; names read better. */
export function signalName(n: number | undefined): string | null {
  if (!n) return null;
  const names: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };
  return names[n] ?? `signal ${n}`;
}
