// Does a translated process listen, and where? devport gives a service a port
// and waits for it (tcp health); a worker that never listens would never be
// healthy, so a port is given only where the command says it listens.

/** `-p 3000`, `--port 3000`, `--port=3000`, `-p3000`: a port the command fixes. */
export function literalPort(text: string): number | undefined {
  const m = /(?:^|\s)(?:-p|--port)(?:=|\s*)(\d{2,5})(?=\s|$|;|&)/.exec(text);
  return m ? validPort(m[1]) : undefined;
}

/** `$PORT`, `${PORT}`, `${PORT:-3000}`: the command listens where it is told. */
export function usesPortVariable(text: string): boolean {
  return /\$(?:PORT\b|\{PORT\b)/.test(text);
}

export function validPort(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}
