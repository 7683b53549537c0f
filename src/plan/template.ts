// ${NAME} templates. `$$` is a literal `$`; `$${NAME}` (the devportv3 form,
// written for a tool that unescaped `$$` first) means the same as `${NAME}`;
// a `$` not followed by `{` or `$` is left alone so shell `$VAR` passes through.

export type TemplateResult =
  | { ok: true; value: string }
  | { ok: false; reason: 'unknown-name'; name: string; offset: number }
  | { ok: false; reason: 'unterminated'; offset: number }
  | { ok: false; reason: 'bad-name'; name: string; offset: number };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function expandTemplate(input: string, lookup: (name: string) => string | undefined): TemplateResult {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    if (dollar === -1) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, dollar);
    let at = dollar + 1;
    if (input[at] === '$') {
      // `$$`: a literal `$`, unless it opens the devportv3 `$${NAME}` form.
      if (input[at + 1] !== '{') {
        out += '$';
        i = at + 1;
        continue;
      }
      at++;
    }
    if (input[at] !== '{') {
      out += '$';
      i = at;
      continue;
    }
    const close = input.indexOf('}', at);
    if (close === -1) return { ok: false, reason: 'unterminated', offset: dollar };
    const name = input.slice(at + 1, close);
    if (!NAME.test(name)) return { ok: false, reason: 'bad-name', name, offset: dollar };
    const value = lookup(name);
    if (value === undefined) return { ok: false, reason: 'unknown-name', name, offset: dollar };
    out += value;
    i = close + 1;
  }
  return { ok: true, value: out };
}
