// Keys in the foreground: r restart from scratch, q quit, h help (R, Q, H and
// ? too: caps lock must not make them dead). In raw mode Ctrl-C arrives as a
// byte, not a signal: it is passed on as an interrupt.

export interface KeyHandlers {
  restart(): void;
  quit(): void;
  interrupt(): void;
  help(): void;
}

export function listenKeys(h: KeyHandlers): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => {};
  stdin.setRawMode(true);
  stdin.resume();
  const onData = (d: Buffer) => {
    for (const ch of d.toString('utf8')) {
      if (ch === '\u0003') h.interrupt();
      else if (ch === 'q' || ch === 'Q' || ch === '\u0004') h.quit();
      else if (ch === 'r' || ch === 'R') h.restart();
      else if (ch === 'h' || ch === 'H' || ch === '?') h.help();
    }
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
  };
}

export const KEYS_HELP =
  'keys: r restart from scratch (re-reads the spec, stops everything, starts it again) · q stop the stack and quit · h this help · Ctrl-C stop (twice: kill now) · edits to the spec apply by themselves';
