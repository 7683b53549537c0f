// Terminal output to DOM: SGR colours and bold/dim/italic/underline become
// spans with classes; every other escape sequence (cursor moves, titles) is
// dropped. Text is only ever set as text, never as HTML.

const ESC = /\u001b\[([0-9;?]*)([A-Za-z])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[()][A-Za-z0-9]|\u001b[=>78]/g;

export interface Style {
  fg: string | null;
  bg: string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

export const plain = (): Style => ({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });

function apply(style: Style, params: string): void {
  const codes = params === '' ? [0] : params.split(';').map((p) => Number(p) || 0);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] ?? 0;
    if (c === 0) Object.assign(style, plain());
    else if (c === 1) style.bold = true;
    else if (c === 2) style.dim = true;
    else if (c === 3) style.italic = true;
    else if (c === 4) style.underline = true;
    else if (c === 22) style.bold = style.dim = false;
    else if (c === 23) style.italic = false;
    else if (c === 24) style.underline = false;
    else if (c >= 30 && c <= 37) style.fg = `c${c - 30}`;
    else if (c >= 90 && c <= 97) style.fg = `c${c - 90 + 8}`;
    else if (c === 39) style.fg = null;
    else if (c >= 40 && c <= 47) style.bg = `c${c - 40}`;
    else if (c >= 100 && c <= 107) style.bg = `c${c - 100 + 8}`;
    else if (c === 49) style.bg = null;
    else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
      // 256 colours: the 16 basic ones are kept, the rest shown plain.
      const n = codes[i + 2] ?? 0;
      if (n < 16) style[c === 38 ? 'fg' : 'bg'] = `c${n}`;
      i += 2;
    } else if ((c === 38 || c === 48) && codes[i + 1] === 2) i += 4;
  }
}

function classes(s: Style): string {
  return [s.fg && `fg-${s.fg}`, s.bg && `bg-${s.bg}`, s.bold && 'b', s.dim && 'dim', s.italic && 'i', s.underline && 'u'].filter(Boolean).join(' ');
}

/** One line of output (no newline) as DOM, continuing from `style` (updated in place: colours run across lines). */
export function renderLine(line: string, style: Style): DocumentFragment {
  const frag = document.createDocumentFragment();
  let last = 0;
  const push = (text: string) => {
    if (!text) return;
    const cls = classes(style);
    if (!cls) frag.append(text);
    else {
      const span = document.createElement('span');
      span.className = cls;
      span.textContent = text;
      frag.append(span);
    }
  };
  ESC.lastIndex = 0;
  for (let m = ESC.exec(line); m; m = ESC.exec(line)) {
    push(line.slice(last, m.index));
    if (m[2] === 'm') apply(style, m[1] ?? '');
    last = ESC.lastIndex;
  }
  push(line.slice(last));
  return frag;
}

/** The text without escapes (what the filter box matches). */
export function stripAnsi(line: string): string {
  return line.replace(ESC, '');
}
