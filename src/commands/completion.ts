// `devport completion bash|zsh|fish`: prints a completion script generated
// from the program that parses this very command line (its verbs, flags and
// arguments), so the script cannot drift from the CLI.

import type { Command } from 'commander';
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import { describeProgram, type ProgramModel } from '../completion/model.js';
import { zshScript } from '../completion/zsh.js';
import { failure, UserError } from '../errors/failure.js';

const SCRIPTS: Record<string, (m: ProgramModel) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function completion(opts: { shell: string; program: Command }): number {
  const script = SCRIPTS[opts.shell];
  if (!script) {
    throw new UserError([failure('USAGE', `no completion for the shell "${opts.shell}"`, { hint: `devport completion ${Object.keys(SCRIPTS).join('|')}` })]);
  }
  process.stdout.write(script(describeProgram(opts.program)));
  return 0;
}
