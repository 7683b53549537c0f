// What a completion script needs to know, read from the commander program
// itself (visible verbs, their flags and arguments): a verb or flag added to
// cli/devport.ts is completed without touching this code.
//
// What a value is (a service, a file, one of some words) is read from names:
// an argument `services`/`service`/`svc`, a flag value `<svc,...>`, a `spec`
// or `<path>`; choices come from commander's own `.choices()`.

import type { Argument, Command, Option } from 'commander';

/** How a value is completed. */
export type ValueKind =
  | { kind: 'service' }
  | { kind: 'file' }
  | { kind: 'verb' }
  | { kind: 'command' }
  | { kind: 'words'; words: string[] }
  | { kind: 'none' };

export interface FlagModel {
  /** `-f`, `--file`: every name of the flag. */
  names: string[];
  description: string;
  /** undefined for a flag without a value. */
  value: { name: string; kind: ValueKind } | undefined;
  /** Given more than once (a collecting parser, or a variadic value). */
  repeatable: boolean;
}

export interface ArgModel {
  name: string;
  required: boolean;
  variadic: boolean;
  kind: ValueKind;
}

export interface VerbModel {
  name: string;
  aliases: string[];
  description: string;
  flags: FlagModel[];
  args: ArgModel[];
  /** The names of the flag that names the spec (`-f`/`--file`), passed on to `devport ls` for service keys. */
  specFlags: string[];
}

export interface ProgramModel {
  name: string;
  version: string;
  flags: FlagModel[];
  verbs: VerbModel[];
}

const SERVICE = /^(services?|svc)$/i;
const FILE = /^(spec|file|path|dir)$/i;
const COMMAND = /^(command|cmd)$/i;

function valueKindOf(name: string, choices: readonly string[] | undefined): ValueKind {
  if (choices && choices.length > 0) return { kind: 'words', words: [...choices] };
  // `<svc,...>` → "svc": a list of services is completed one service at a time.
  const base = name.replace(/[,.]+$/, '');
  if (SERVICE.test(base)) return { kind: 'service' };
  if (FILE.test(base)) return { kind: 'file' };
  return { kind: 'none' };
}

function flagOf(o: Option): FlagModel {
  const names = [o.short, o.long].filter((n): n is string => n !== undefined);
  const takes = o.required || o.optional;
  // The value's name as written in the flags: `--only <svc,...>` → "svc,...".
  const valueName = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? 'value';
  return {
    names,
    description: o.description,
    value: takes ? { name: valueName.replace(/[,.]+$/, ''), kind: valueKindOf(valueName, o.argChoices) } : undefined,
    repeatable: o.variadic || o.parseArg !== undefined,
  };
}

function argOf(verb: string, a: Argument): ArgModel {
  const name = a.name();
  let kind = valueKindOf(name, a.argChoices);
  if (kind.kind === 'none' && COMMAND.test(name)) kind = verb === 'help' ? { kind: 'verb' } : { kind: 'command' };
  return { name, required: a.required, variadic: a.variadic, kind };
}

export function describeProgram(program: Command): ProgramModel {
  const help = program.createHelp();
  const verbs = help.visibleCommands(program).map((c): VerbModel => {
    const flags = help.visibleOptions(c).map(flagOf);
    return {
      name: c.name(),
      aliases: c.aliases(),
      description: c.description(),
      flags,
      args: c.registeredArguments.map((a) => argOf(c.name(), a)),
      specFlags: flags.find((f) => f.names.includes('--file'))?.names ?? [],
    };
  });
  return { name: program.name(), version: program.version() ?? '', flags: help.visibleOptions(program).map(flagOf), verbs };
}

/** Every name a verb answers to. */
export const verbNames = (m: ProgramModel): string[] => m.verbs.flatMap((v) => [v.name, ...v.aliases]);
