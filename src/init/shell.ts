// A command line from a Procfile or process-compose.yaml → devport's list form.
// Plain words are split (devport's `command` is a list); anything the shell
// must interpret (variables, pipes, globs, &&) runs as `sh -c "…"`, with the
// text made safe for devport's own ${…} templates.

/** Characters that need a shell anywhere in a word (outside single quotes). */
const SHELL_CHARS = new Set(['$', '`', '\\', '|', '&', ';', '<', '>', '(', ')', '*', '?', '[', ']', '{', '}', '\n', '\r']);
/** Characters that need a shell at the start of a word. */
const WORD_START = new Set(['~', '#', '!']);
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
/** Shell builtins: no program of that name exists to run without a shell. */
const BUILTINS = new Set(['cd', 'source', '.', 'export', 'set', 'unset', 'ulimit', 'umask', 'eval', 'trap', 'wait', 'alias', 'read', 'shift', 'exit', 'return', 'readonly', 'local', 'declare', 'typeset']);

/** The words of a command without shell syntax (quotes are fine); undefined when it needs a shell. */
export function splitWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
      continue;
    }
    if (word === undefined && WORD_START.has(c)) return undefined;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close === -1) return undefined;
      const inner = text.slice(i + 1, close);
      // Inside double quotes the shell still expands $, ` and \.
      if (c === '"' && /[$`\\]/.test(inner)) return undefined;
      word = (word ?? '') + inner;
      i = close + 1;
      continue;
    }
    if (SHELL_CHARS.has(c)) return undefined;
    word = (word ?? '') + c;
    i++;
  }
  if (word !== undefined) words.push(word);
  return words;
}

export interface ParsedCommand {
  /** Leading NAME=value words (also after `env`): foreman's `PORT=3000 bundle exec puma`. */
  assignments: [string, string][];
  /** The words after them; undefined when the command needs a shell. */
  words: string[] | undefined;
  /** The command as written. */
  text: string;
}

export function parseCommand(text: string): ParsedCommand {
  const t = text.trim();
  const all = splitWords(t);
  if (!all) return { assignments: [], words: undefined, text: t };
  let rest = all;
  // `env A=1 cmd` is the same as `A=1 cmd` (without options: `env -i` changes more).
  if (rest[0] === 'env' && rest[1] !== undefined && ASSIGNMENT.test(rest[1])) rest = rest.slice(1);
  const assignments: [string, string][] = [];
  while (rest.length > 0) {
    const m = ASSIGNMENT.exec(rest[0] ?? '');
    if (!m) break;
    assignments.push([m[1] ?? '', m[2] ?? '']);
    rest = rest.slice(1);
  }
  // `exec cmd` is what devport does anyway.
  if (rest[0] === 'exec' && rest.length > 1) rest = rest.slice(1);
  // Nothing but assignments is not a command, and a builtin needs its shell.
  if (rest.length === 0 || BUILTINS.has(rest[0] ?? '')) return { assignments: [], words: undefined, text: t };
  return { assignments, words: rest, text: t };
}

/** Names devport sets in every child; a spec may not set them, so a command keeps them. */
export function isDevportName(name: string): boolean {
  return name === 'PORT' || name === 'HOST' || name.startsWith('DEVPORT_');
}

const NAME_CHAR = /[A-Za-z0-9_]/;
/** Set by devport for every service with a port: a shell default for them never applies. */
const ALWAYS_SET = new Set(['PORT', 'HOST']);

/**
 * Shell text → the same text for devport, whose ${NAME} is its own template
 * (filled when the plan is made) and `$$` a literal `$`. `${NAME}` becomes
 * `$NAME` where that means the same to the shell; `${PORT:-3000}` becomes
 * `$PORT` (devport always sets it). Other `${…}` forms have no devport
 * spelling: they are reported.
 */
export function shellText(text: string): { text: string; problems: string[] } {
  let out = '';
  const problems: string[] = [];
  let single = false;
  let double = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === "'" && !double) single = !single;
    else if (c === '"' && !single) double = !double;
    else if (c === '\\' && !single && i + 1 < text.length) {
      // An escaped character is the shell's; an escaped `$` must stay a `$` for devport too.
      const e = text[i + 1] ?? '';
      if (e === '$' && text[i + 2] === '{') problems.push(`"\\\${" has no devport spelling (devport reads \${…} as its own template): edit the command`);
      out += e === '$' ? '\\$$' : c + e;
      i += 2;
      continue;
    }
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$$$$'; // devport turns `$$` into `$`: the shell gets its `$$` (its pid)
      i += 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i++;
      continue;
    }
    const close = matchingBrace(text, i + 1);
    if (close === -1) {
      problems.push(`an unterminated "\${" at character ${i + 1}`);
      out += text.slice(i);
      break;
    }
    const inner = text.slice(i + 2, close);
    const after = text[close + 1] ?? '';
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(.*)$/s.exec(inner);
    const bare = (name: string) => (NAME_CHAR.test(after) ? `\${${name}}` : `$${name}`);
    if (single) problems.push(`"\${${inner}}" is in single quotes, but devport fills \${…} before the shell runs`);
    if (m && m[2] === '') {
      out += bare(m[1] ?? '');
    } else if (m && ALWAYS_SET.has(m[1] ?? '') && /^:?[-=]/.test(m[2] ?? '')) {
      out += bare(m[1] ?? '');
    } else if (m && /^:?[-=?+]/.test(m[2] ?? '')) {
      problems.push(`"\${${inner}}": devport reads \${…} as its own template and has no shell default; written as ${bare(m[1] ?? '')}`);
      out += bare(m[1] ?? '');
    } else {
      problems.push(`"\${${inner}}" has no devport spelling (devport reads \${…} as its own template): edit the command`);
      out += text.slice(i, close + 1);
    }
    i = close + 1;
  }
  return { text: out, problems };
}

/** The `}` closing the `{` at `open`, nested braces counted; -1 if none. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

/**
 * The devport command for a parsed command: its words, with assignments of
 * names devport sets kept in front (`env HOST=0.0.0.0 …`), or `shell` + the
 * text when it needs a shell. Other assignments go to the service's env.
 */
export function devportCommand(
  p: ParsedCommand,
  shell: readonly string[],
): { command: string[]; env: [string, string][]; problems: string[] } {
  if (!p.words) {
    const s = shellText(p.text);
    return { command: [...shell, s.text], env: [], problems: s.problems };
  }
  const kept = p.assignments.filter(([k]) => isDevportName(k));
  const env = p.assignments.filter(([k]) => !isDevportName(k));
  const command = kept.length > 0 ? ['env', ...kept.map(([k, v]) => `${k}=${v}`), ...p.words] : p.words;
  // A split word never holds `$` (that needs a shell), so no template can hide in it.
  return { command, env, problems: [] };
}
