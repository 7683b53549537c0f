// package.json's `dev` script (else `start`): the project's dev server, run with
// the package manager its lockfile names. Dev servers that ignore $PORT (Vite
// and the tools built on it, Astro, Angular) are given `--port ${PORT}`.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { literalPort, validPort } from './ports.js';
import { isMap, readSource } from './read.js';
import { parseCommand } from './shell.js';
import { untranslated, type DraftService, type Translation } from './types.js';

const LOCKFILES: [string, string][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
];

/** Scripts that start one of these and nothing else get the port flag. */
const PORT_FLAGS: [RegExp, string[]][] = [
  [/^(?:npx\s+)?(?:vite(?:\s+(?:dev|serve))?|react-router\s+dev|remix\s+vite:dev)(?:\s|$)/, ['--port', '${PORT}', '--strictPort']],
  [/^(?:npx\s+)?astro\s+dev(?:\s|$)/, ['--port', '${PORT}']],
  [/^(?:npx\s+)?ng\s+serve(?:\s|$)/, ['--port', '${PORT}']],
];

function packageManager(dir: string, pkg: Record<string, unknown>): string {
  const declared = typeof pkg.packageManager === 'string' ? /^(npm|pnpm|yarn|bun)@/.exec(pkg.packageManager)?.[1] : undefined;
  return declared ?? LOCKFILES.find(([f]) => existsSync(path.join(dir, f)))?.[1] ?? 'npm';
}

/** Whether an earlier source already runs this script (`web: npm run dev` in Procfile.dev). */
function runBy(earlier: readonly DraftService[], script: string, body: string): DraftService | undefined {
  const call = new RegExp(`\\b(?:npm|pnpm|yarn|bun)\\s+(?:run\\s+)?${script}\\b`);
  return earlier.find((s) => {
    const text = s.original ?? s.command?.join(' ') ?? '';
    return call.test(text) || text.trim() === body.trim();
  });
}

export function readPackageJson(dir: string, earlier: readonly DraftService[]): Translation | undefined {
  const file = 'package.json';
  const read = readSource(dir, file);
  if (!read) return undefined;
  const t: Translation = { file, services: [], untranslated: [] };
  if (!read.ok) return { ...t, untranslated: [untranslated(file, '', read.why)] };
  let pkg: unknown;
  try {
    pkg = JSON.parse(read.text);
  } catch (err: unknown) {
    return { ...t, untranslated: [untranslated(file, '', `not valid JSON: ${(err as Error).message}`)] };
  }
  const scripts = isMap(pkg) && isMap(pkg.scripts) ? pkg.scripts : {};
  const script = ['dev', 'start'].find((s) => typeof scripts[s] === 'string');
  if (!script || !isMap(pkg)) return undefined;
  if (script === 'dev' && typeof scripts.start === 'string') {
    t.untranslated.push(untranslated(file, 'scripts.start', 'scripts.dev is the development server; start (usually production) is not added'));
  }
  const body = String(scripts[script]);
  const already = runBy(earlier, script, body);
  if (already) {
    t.untranslated.push(untranslated(file, `scripts.${script}`, `already run by ${already.from}`));
    return t;
  }
  const pm = packageManager(dir, pkg);
  // A script that names its port (`next dev -p 4000`, `PORT=4000 …`) listens there.
  const fixed = validPort(parseCommand(body).assignments.find(([k]) => k === 'PORT')?.[1]) ?? literalPort(body);
  const flags = fixed === undefined ? PORT_FLAGS.find(([re]) => re.test(body.trim()) && !/--port\b|[;&|]/.test(body))?.[1] : undefined;
  // npm needs `--` before the script's own flags; pnpm, yarn and bun pass them on.
  const extra = flags ? (pm === 'npm' ? ['--', ...flags] : flags) : [];
  const s: DraftService = { name: 'web', from: `${file} scripts.${script}`, type: 'exec', original: body, command: [pm, 'run', script, ...extra] };
  if (fixed !== undefined) {
    s.port = fixed;
    s.portNote = 'the script listens on it';
  } else {
    s.notes = [flags ? 'the dev server ignores $PORT: it is told the port' : 'devport gives it PORT and waits for that port; if it listens elsewhere, pass it ${PORT} or set port = N'];
  }
  t.services.push(s);
  return t;
}
