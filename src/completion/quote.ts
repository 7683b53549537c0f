// Quoting for the generated scripts: a single-quoted word in each shell.

/** POSIX sh / bash / zsh: '…', a quote inside as '\''. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** fish: '…', with \ and ' escaped inside. */
export const fishq = (s: string): string => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
