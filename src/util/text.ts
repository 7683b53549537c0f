// Text for terminals: what fits a width, measured without ANSI codes.

import { stripAnsi } from './color.js';

/** The first `width` visible characters of a line that may hold ANSI colour codes (with a reset when it had any). */
export function cutToWidth(line: string, width: number): string {
  if (stripAnsi(line).length <= width) return line;
  let out = '';
  let visible = 0;
  for (let i = 0; i < line.length && visible < width; ) {
    const esc = /^\u001b\[[0-9;]*m/.exec(line.slice(i));
    if (esc) {
      out += esc[0];
      i += esc[0].length;
      continue;
    }
    out += line[i];
    visible++;
    i++;
  }
  return out.includes('\u001b[') ? `${out}\u001b[0m` : out;
}

/** Whether a stream can take a display redrawn in place: a terminal, not `TERM=dumb`, at least `minWidth` wide. */
export function canRedraw(stream: { isTTY?: boolean; columns?: number }, minWidth = 60, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb' && (stream.columns ?? 80) >= minWidth;
}
