// Keys in the foreground: r restart every service, q quit, h help. In raw
// mode Ctrl-C arrives as a byte, not a signal: it is passed on as an interrupt.

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
      else if (ch === 'q' || ch === '\u0004') h.quit();
      else if (ch === 'r') h.restart();
      else if (ch === 'h' || ch === '?') h.help();
    }
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
  };
}

export const KEYS_HELP = 'keys: r restart every service · q stop the stack and quit · h this help · Ctrl-C stop (twice: kill now)';
