// Where things live: .devport/<key>/{state.json,rpc.sock,output.log}. Created
// private (0700) and never through a symlink: a committed or planted .devport/
// must not make devport write, read or signal anywhere else.

import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { failure, UserError } from '../errors/failure.js';

export const STATE_FILE = 'state.json';
export const RPC_SOCK = 'rpc.sock';
export const OUTPUT_LOG = 'output.log';
export const PLAN_FILE = 'plan.json';
export const UP_LOG = 'up.log';
/** A sidecar's own errors (stderr when detached; fatal errors always). */
export const SIDECAR_LOG = 'sidecar.log';
/** Which tmux server and session a stack runs in (written by `up`). */
export const TMUX_FILE = 'tmux.json';

/**
 * Names devport itself uses inside .devport/ (besides files, whose names hold a
 * dot and so can never be a key): a service may not take them as its key.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['isolation', 'runtime', 'capture', 'compose']);

export function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key);
}

export function serviceDir(stateDir: string, key: string): string {
  return path.join(stateDir, key);
}

export interface TmuxRecord {
  session: string;
  socket: string;
  /** devport created the session (so `down` may remove it once it is empty). */
  created: boolean;
}

/** Why `p` is not a directory devport can trust, or undefined when it is one (ours, not a symlink). */
export function untrustedDir(p: string): string | undefined {
  let st;
  try {
    st = lstatSync(p);
  } catch (err: unknown) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `is owned by uid ${st.uid}, not by you (uid ${uid})`;
  return undefined;
}

function unsafe(p: string, why: string): UserError {
  return new UserError([
    failure('STATE_UNSAFE', `${p} ${why}: devport does not use it`, {
      hint: `remove it (\`rm -r ${JSON.stringify(p)}\`); devport creates its state directories itself, private to you`,
    }),
  ]);
}

/** A private directory: created 0700, or checked (ours, a real directory) and tightened when it exists. */
function ensurePrivateDir(p: string): void {
  try {
    mkdirSync(p, { mode: 0o700 });
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unsafe(p, `cannot be created (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const why = untrustedDir(p);
  if (why) throw unsafe(p, why);
  // Dirs of earlier versions were 0755; ours, so tighten them.
  if ((lstatSync(p).mode & 0o077) !== 0) chmodSync(p, 0o700);
}

/** .devport/ itself, private, with a .gitignore so it is never committed. */
export function ensureStateDir(stateDir: string): void {
  ensurePrivateDir(stateDir);
  try {
    // O_EXCL: never through a planted symlink, never over the user's own file.
    const fd = openSync(path.join(stateDir, '.gitignore'), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    writeSync(fd, '# devport state: never commit\n*\n');
    closeSync(fd);
  } catch {
    /* already there */
  }
}

/** .devport/<key>/, private; refuses a symlink or something not ours there. */
export function ensureServiceDir(stateDir: string, key: string): string {
  ensureStateDir(stateDir);
  const dir = path.join(stateDir, key);
  ensurePrivateDir(dir);
  return dir;
}

export interface DirEntryInfo {
  key: string;
  /** Why devport cannot trust this entry (a symlink, a file, someone else's); undefined for a real state dir. */
  problem: string | undefined;
}

/** Every entry of .devport/ that is or poses as a service dir, with what is wrong with the untrusted ones. */
export function scanStateDir(stateDir: string): DirEntryInfo[] {
  let names: { name: string; isDir: boolean; isLink: boolean }[];
  try {
    names = readdirSync(stateDir, { withFileTypes: true }).map((d) => ({ name: d.name, isDir: d.isDirectory(), isLink: d.isSymbolicLink() }));
  } catch {
    return [];
  }
  const out: DirEntryInfo[] = [];
  for (const d of names) {
    if (d.name.startsWith('.') || RESERVED_KEYS.has(d.name)) continue;
    // Files of devport's (plan.json, up.log, tmux.json) hold a dot; a key never does.
    if (!d.isDir && !d.isLink) continue;
    if (d.isLink && d.name.includes('.')) continue;
    out.push({ key: d.name, problem: d.isDir ? untrustedDir(path.join(stateDir, d.name)) : 'is a symbolic link' });
  }
  // Code-unit order: localeCompare's first call loads ICU's collator, 5 ms of every ls/down/up.
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The keys that have a trustworthy state directory (not the same as live services). */
export function listServiceDirs(stateDir: string): string[] {
  return scanStateDir(stateDir)
    .filter((e) => e.problem === undefined)
    .map((e) => e.key);
}
