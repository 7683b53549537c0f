// The stack → a commented devport.toml: a header naming the sources, then each
// service under a comment saying where it came from, then what was not
// translated, so the file keeps the story after the terminal is gone.

import type { Stack } from './combine.js';
import { commentText, inlineTable, key, list, str, withComment } from './toml.js';
import type { DraftService, Untranslated } from './types.js';

const HEADER = [
  '# Every key is described in .devport.example.toml (in the devport package);',
  '# `devport up --dry-run` shows the plan without starting anything.',
];

function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

export function writeStack(stack: Stack, schemaLine: string | undefined): string {
  const out: string[] = [];
  if (schemaLine) out.push(schemaLine);
  out.push(`# devport.toml, written by \`devport init\` from ${joinNames(stack.sources)}.`, ...HEADER, '');
  if (stack.envFiles.length === 1) {
    const f = stack.envFiles[0];
    if (f) out.push(withComment(`env_file = ${str(f.file)}`, `foreman and overmind load it for every process of ${f.from}`), '');
  } else if (stack.envFiles.length > 1) out.push(`env_file = ${list(stack.envFiles.map((f) => f.file))}`, '');
  if (stack.env.length > 0) {
    out.push('[env]');
    for (const e of stack.env) out.push(withComment(`${key(e.name)} = ${str(e.value)}`, `from ${e.from}`));
    out.push('');
  }
  let composeSaid = false;
  for (const s of stack.services) {
    if (s.type === 'compose' && !composeSaid) {
      composeSaid = true;
      out.push(
        '# Compose services run under devport\'s own compose project name (devport-<dir>-…), so their',
        '# volumes are not those of a plain `docker compose up`: a database starts empty the first time.',
        '',
      );
    }
    out.push(...service(s), '');
  }
  out.push(...footer(stack.untranslated));
  while (out.at(-1) === '') out.pop();
  return out.join('\n') + '\n';
}

/** One line per untranslated thing: `file key: why`. */
export function describe(u: Untranslated): string {
  return `${u.file}${u.key ? ` ${u.key}` : ''}: ${u.why}`;
}

function footer(untranslated: readonly Untranslated[]): string[] {
  if (untranslated.length === 0) return [];
  return ['# Not translated (also printed by `devport init`):', ...untranslated.map((u) => `#   ${commentText(describe(u))}`)];
}

function service(s: DraftService): string[] {
  const lines: string[] = [];
  lines.push(`# from ${commentText(s.from)}${s.original ? `: ${commentText(s.original)}` : ''}`);
  for (const n of s.notes ?? []) lines.push(`# ${commentText(n)}`);
  lines.push('[[service]]', `name = ${str(s.name)}`);
  if (s.type !== 'exec') lines.push(`type = ${str(s.type)}`);
  if (s.composeServices) lines.push(`services = ${list(s.composeServices)}`);
  if (s.command) lines.push(`command = ${list(s.command)}`);
  if (s.cwd !== undefined) lines.push(`cwd = ${str(s.cwd)}`);
  if (s.env && s.env.length > 0) lines.push(`env = ${inlineTable(s.env)}`);
  if (s.port !== undefined) lines.push(withComment(`port = ${s.port}`, s.portNote));
  if (s.noPort && s.type === 'exec') lines.push('no_port = true');
  if (s.dependsOn && s.dependsOn.length > 0) lines.push(`depends_on = ${inlineTable(s.dependsOn.map((d) => [d.name, d.condition]))}`);
  if (s.restart && s.type === 'exec') lines.push(`restart = ${str(s.restart)}`);
  if (s.stopSignal && s.type !== 'compose') lines.push(`stop_signal = ${str(s.stopSignal)}`);
  if (s.stopTimeout) lines.push(`stop_timeout = ${str(s.stopTimeout)}`);
  const h = s.type === 'exec' ? s.health : undefined;
  if (h) {
    lines.push('  [service.health]', `  type = ${str(h.type)}`);
    if (h.path !== undefined) lines.push(`  path = ${str(h.path)}`);
    if (h.url !== undefined) lines.push(`  url = ${str(h.url)}`);
    if (h.command) lines.push(`  command = ${list(h.command)}`);
    if (h.interval) lines.push(`  interval = ${str(h.interval)}`);
    if (h.probeTimeout) lines.push(`  probe_timeout = ${str(h.probeTimeout)}`);
  }
  return lines;
}

/** With nothing to translate: one service to edit, and how. */
export function writeExample(schemaLine: string | undefined, sources: readonly string[], untranslated: readonly Untranslated[]): string {
  const why =
    sources.length === 0
      ? ['# devport.toml, written by `devport init`. There was nothing to translate here (no Procfile,', '# process-compose.yaml, compose.yaml or package.json dev/start script): this is an example to edit.']
      : [`# devport.toml, written by \`devport init\`. ${joinNames(sources)} gave no service (see the end`, '# of this file): this is an example to edit.'];
  const lines = [
    ...(schemaLine ? [schemaLine] : []),
    ...why,
    ...HEADER,
    '',
    '[[service]]',
    'name = "web"                        # env WEB_PORT / WEB_URL for the other services',
    'command = ["python3", "-m", "http.server", "${PORT}"]   # devport gives every service a PORT',
    '# depends_on = ["db"]              # start after these are healthy',
    '  [service.health]',
    '  type = "http"                     # default: tcp (the port accepts connections)',
    '  path = "/"',
  ];
  const rest = footer(untranslated);
  return [...lines, ...(rest.length > 0 ? ['', ...rest] : []), ''].join('\n');
}
