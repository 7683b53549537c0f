// Worktree isolation: a linked git worktree (its .git is a file pointing into
// <common>/.git/worktrees/<name>) gets its own fixed ports, tmux session and
// databases, so two checkouts of one project can run side by side.

import { statSync } from 'node:fs';
import path from 'node:path';
import type { Spec } from '../spec/model.js';
import { fnv1a } from '../util/hash.js';
import { readRegularFile } from '../util/read-file.js';

export interface Isolation {
  /** Empty when the checkout is not isolated. */
  id: string;
  offset: number;
  range: number;
  scan: number;
}

function sanitize(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'wt';
}

/** The linked worktree's name, or undefined in a main checkout or outside git. */
export function linkedWorktreeName(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const dotGit = path.join(d, '.git');
    try {
      const st = statSync(dotGit);
      if (st.isDirectory()) return undefined;
      // A .git file is one line; anything else (a FIFO, a huge file) is not a worktree's.
      const r = readRegularFile(dotGit, { maxBytes: 64 * 1024 });
      if (!r.ok) return undefined;
      const m = /^gitdir:\s*(.+)$/m.exec(r.text);
      const gitdir = m?.[1]?.trim();
      // Submodules also use a .git file; only .../worktrees/<name> is a linked worktree.
      if (gitdir && path.basename(path.dirname(gitdir)) === 'worktrees') return path.basename(gitdir);
      return undefined;
    } catch {
      /* not here: keep walking up */
    }
    if (path.dirname(d) === d) return undefined;
  }
}

export function detectIsolation(spec: Spec, env: NodeJS.ProcessEnv): Isolation {
  const { mode, offset, range, scan } = spec.isolation;
  const none = { id: '', offset, range, scan };
  if (env.DEVPORT_ISOLATION === 'off' || mode === 'off') return none;
  const wt = linkedWorktreeName(spec.dir);
  if (wt !== undefined) return { id: sanitize(wt), offset, range, scan };
  if (mode === 'always') return { id: sanitize(`${path.basename(spec.dir)}-${(fnv1a(spec.dir) % 0xffff).toString(16)}`), offset, range, scan };
  return none;
}

/** The fixed ports to try for `port` in an isolated checkout, best first. */
export function isolatedPortCandidates(port: number, iso: Isolation): number[] {
  if (iso.id === '') return [port];
  const base = port + iso.offset + (fnv1a(`${iso.id}:${port}`) % iso.range);
  const out: number[] = [];
  for (let i = 0; i < iso.scan && base + i <= 65535; i++) out.push(base + i);
  return out;
}

/** Moves a SQLite file under .devport/isolation/<id>/ or suffixes a Postgres database name. */
export function isolateDatabaseUrl(url: string, iso: Isolation, projectDir: string): string {
  if (iso.id === '') return url;
  const suffix = iso.id.replace(/-/g, '_');
  const sqlite = /^(sqlite3?:(?:\/\/)?|file:)(.*)$/.exec(url);
  if (sqlite) {
    const [, scheme = '', rest = ''] = sqlite;
    const [file = '', query] = rest.split('?', 2);
    if (file === '' || file === ':memory:') return url;
    const moved = path.join(projectDir, '.devport', 'isolation', iso.id, path.basename(file));
    return `${scheme}${moved}${query !== undefined ? `?${query}` : ''}`;
  }
  const pg = /^(postgres(?:ql)?:\/\/[^/]*\/)([^?]+)(.*)$/.exec(url);
  if (pg) return `${pg[1]}${pg[2]}_${suffix}${pg[3]}`;
  return url;
}
