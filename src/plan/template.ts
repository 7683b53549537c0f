// ${NAME} templates. `$$` is a literal `$`; `$${NAME}` (the devportv3 form,
// written for a tool that unescaped `$$` first) means the same as `${NAME}`;
// a `$` not followed by `{` or `$` is left alone so shell `$VAR` passes through.

/**
 * The longest value a template may fill to: 128 KiB (131072 characters), Linux's
 * limit on one argument or environment string (MAX_ARG_STRLEN): a longer value
 * could not be passed to the child anyway. Checked before every append, so [env]
 * entries that use each other (A = "${B}${B}", B = "${C}${C}", …) stop at the cap
 * instead of growing exponentially.
 */
export const MAX_FILLED_LENGTH = 128 * 1024;

export type TemplateResult =
  | { ok: true; value: string }
  | { ok: false; reason: 'unknown-name'; name: string; offset: number }
  | { ok: false; reason: 'unterminated'; offset: number }
  | { ok: false; reason: 'bad-name'; name: string; offset: number }
  /** The value would pass `limit` characters at `offset` (where `${name}` sits, or plain text when name is undefined). */
  | { ok: false; reason: 'too-long'; name: string | undefined; offset: number; limit: number };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function expandTemplate(
  input: string,
  lookup: (name: string) => string | undefined,
  limit: number = MAX_FILLED_LENGTH,
): TemplateResult {
  let out = '';
  let i = 0;
  const tooLong = (offset: number, name?: string): TemplateResult => ({ ok: false, reason: 'too-long', name, offset, limit });
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    const literalEnd = dollar === -1 ? input.length : dollar;
    if (out.length + (literalEnd - i) > limit) return tooLong(i);
    out += input.slice(i, literalEnd);
    if (dollar === -1) break;
    let at = dollar + 1;
    if (input[at] === '$') {
      // `$$`: a literal `$`, unless it opens the devportv3 `$${NAME}` form.
      if (input[at + 1] !== '{') {
        if (out.length + 1 > limit) return tooLong(dollar);
        out += '$';
        i = at + 1;
        continue;
      }
      at++;
    }
    if (input[at] !== '{') {
      if (out.length + 1 > limit) return tooLong(dollar);
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
    if (out.length + value.length > limit) return tooLong(dollar, name);
    out += value;
    i = close + 1;
  }
  return { ok: true, value: out };
}
