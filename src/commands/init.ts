// `devport init [dir]`: write a commented devport.toml from what the project
// already has (src/init/). Never overwrites a spec without --force; the text is
// loaded like any spec before it is written, so what init writes, `up` reads.

import { closeSync, lstatSync, openSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';
import { initProject, type InitResult } from '../init/init.js';
import { describe } from '../init/write.js';
import { loadSpecText } from '../spec/load.js';

export interface InitOptions {
  dir?: string | undefined;
  force?: boolean;
  stdout?: boolean;
  json?: boolean;
}

const SPEC_NAME = 'devport.toml';

export function init(opts: InitOptions): number {
  const cwd = process.cwd();
  if (opts.json && opts.stdout) {
    throw new UserError([failure('FLAG_CONFLICT', '--json and --stdout both want stdout', { hint: 'drop one: --json reports what was written, --stdout prints the spec' })]);
  }
  const dir = path.resolve(cwd, opts.dir ?? '.');
  if (!isDirectory(dir)) throw new UserError([failure('USAGE', `${opts.dir ?? dir} is not a directory`, { hint: 'name the project directory: devport init path/to/project' })]);
  const target = path.join(dir, SPEC_NAME);
  const shown = display(target, cwd);
  if (!opts.stdout && !opts.force && exists(target)) throw specExists(shown);
  if (!opts.stdout && opts.force && exists(target) && !replaceable(target)) {
    throw new UserError([failure('SPEC_EXISTS', `${shown} is not a regular file; init does not replace it`, { hint: 'remove it yourself, or print the spec with `devport init --stdout`' })]);
  }

  const result = initProject(dir);
  const loaded = loadSpecText(target, result.text);
  if (!loaded.ok) {
    // A bug of init's, not the user's: say what devport itself refused.
    throw new Error(`the spec init wrote does not load: ${loaded.failures.map((f) => `${f.location ? `line ${f.location.line}: ` : ''}${f.message}`).join('; ')}`);
  }
  if (opts.stdout) {
    process.stdout.write(result.text);
    process.stderr.write(summary(result, undefined));
    return 0;
  }
  write(target, result.text, opts.force === true, shown);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ file: shown, services: result.services, untranslated: result.untranslated }) + '\n');
  } else process.stdout.write(summary(result, shown));
  return 0;
}

function summary(r: InitResult, written: string | undefined): string {
  const where = written ? `wrote ${written}` : 'printed the spec';
  const lines: string[] = [];
  if (r.example) {
    const why = r.sources.length === 0 ? 'nothing to translate here (no Procfile, process-compose.yaml, compose.yaml or package.json dev/start script)' : `${r.sources.join(', ')} gave no service`;
    lines.push(`devport init: ${why}; ${where}: an example with one service to edit`);
  } else {
    lines.push(`devport init: ${where} with ${r.services.length} service${r.services.length === 1 ? '' : 's'}`);
    const width = Math.max(...r.services.map((s) => s.name.length));
    for (const s of r.services) lines.push(`  ${s.name.padEnd(width)}  from ${s.from}`);
  }
  if (r.untranslated.length > 0) {
    lines.push('not translated:');
    for (const u of r.untranslated) lines.push(`  ${describe(u)}`);
  }
  if (written) lines.push(`next: devport up --dry-run${path.dirname(written) === '.' ? '' : ` ${path.dirname(written)}`}`);
  return lines.join('\n') + '\n';
}

/** A new file only (O_EXCL: a spec that appeared meanwhile, or a symlink, is never written through); --force replaces it whole. */
function write(target: string, text: string, force: boolean, shown: string): void {
  if (!force) {
    let fd: number;
    try {
      fd = openSync(target, 'wx', 0o644);
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw specExists(shown);
      throw err;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, target);
  } catch (err: unknown) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw err;
  }
}

function specExists(shown: string) {
  return new UserError([failure('SPEC_EXISTS', `${shown} exists already; init does not overwrite it`)]);
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** --force replaces a file or a symlink (the link itself), never a directory or a FIFO. */
function replaceable(p: string): boolean {
  const st = lstatSync(p);
  return st.isFile() || st.isSymbolicLink();
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Relative to the cwd when inside it, as `ls` shows paths. */
function display(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}
