// The test rig: a temp project dir, a private tmux server, an env marker on
// every process a test starts, and a check that none of them is left.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// DEVPORT_TEST_CLI runs the end-to-end tests against another build (e.g. an older commit's, to see a test fail before its fix).
export const CLI = process.env.DEVPORT_TEST_CLI ?? path.join(REPO, 'dist', 'cli', 'devport.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Processes whose environment carries the test's marker, or belongs to a
 * devport project under `dir` (read from /proc/<pid>/environ). The marker is
 * not DEVPORT_*: devport strips its reserved names from children.
 */
export function processesWithMarker(marker: string, dir?: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'utf8');
      const vars = env.split('\0');
      const ours = vars.includes(`DPTEST_MARKER=${marker}`) || (dir !== undefined && vars.some((v) => v.startsWith(`DEVPORT_PROJECT_DIR=${dir}`)));
      if (!ours) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // zombies hold nothing and are reaped by their parent
      out.push({ pid: Number(d), cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class Rig {
  readonly dir: string;
  readonly tmuxTmp: string;
  readonly marker = randomUUID();
  readonly #children = new Set<ChildProcess>();

  constructor(prefix = 'devport-test-') {
    this.dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    // A short path: tmux's socket lives here and unix socket paths are limited to 107 bytes.
    this.tmuxTmp = mkdtempSync(path.join(os.tmpdir(), 'dpt-'));
  }

  /** The env every process of this test runs with: private tmux, the marker, no colour. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, TMUX_TMPDIR: this.tmuxTmp, DPTEST_MARKER: this.marker, NO_COLOR: '1', ...extra };
    delete env.TMUX;
    delete env.TMUX_PANE;
    delete env.FORCE_COLOR;
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
    return env;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  write(rel: string, text: string): string {
    const p = this.path(rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  }

  exists(rel: string): boolean {
    return existsSync(this.path(rel));
  }

  /** Runs the built CLI to completion, with a deadline. */
  run(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? this.dir, env: this.env(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
      this.#children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`devport ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, opts.timeoutMs ?? 30_000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.#children.delete(child);
        resolve({ code, signal, stdout, stderr });
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  /** Starts the built CLI and returns the live child (for foreground `up`). */
  start(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): ChildProcess & { output: () => { stdout: string; stderr: string } } {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? this.dir, env: this.env(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    this.#children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', () => this.#children.delete(child));
    return Object.assign(child, { output: () => ({ stdout, stderr }) });
  }

  /** Tracks a process the test started itself, so cleanup kills it. */
  track<T extends ChildProcess>(child: T): T {
    this.#children.add(child);
    child.on('close', () => this.#children.delete(child));
    return child;
  }

  tmux(args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('tmux', args, { env: this.env(), encoding: 'utf8', timeout: 5000 });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  leftovers(): { pid: number; cmd: string }[] {
    return processesWithMarker(this.marker, this.dir);
  }

  /** Kills whatever is left (after reporting it), the tmux server, and removes the dirs. Returns what was left. */
  async cleanup(): Promise<{ pid: number; cmd: string }[]> {
    for (const c of this.#children) c.kill('SIGKILL');
    this.tmux(['kill-server']);
    // Give exiting processes a moment to disappear before calling them leftovers.
    let left = this.leftovers();
    const deadline = Date.now() + 2000;
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      left = this.leftovers();
    }
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.tmuxTmp, { recursive: true, force: true });
    return left;
  }
}

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Listens on `port` until closed: a real holder for collision tests. */
export function listenOn(port: number, host = '127.0.0.1'): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => s.destroy());
    srv.once('error', reject);
    srv.listen(port, host, () => resolve(srv));
  });
}

/** A whole, schema-valid state.json for `key` in `state` (what a sidecar would write), for tests that play a sidecar. */
export function stateFixture(key: string, state: string, extra: Record<string, unknown> = {}): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    supervisor: { key, pid: process.pid, pid_start: null, started_at: now, version: '0.1.0', spec: '/nowhere/devport.toml', run_id: null, tmux: null, depends_on: [], lock: 'flock', output_offset: 0 },
    state: { type: 'exec', state, port: null, url: null, pid: null, pgid: null, pid_start: null, generation: 1, restarts: 0, exit_code: null, signal: null, reason: null, since: now, health: null, next_restart_at: null, conflict: null, ...extra },
  });
}

/** A `command` (TOML list) for a child that serves `name` over HTTP on $PORT. */
export const httpServer = (name: string) => `["node", "-e", "require('http').createServer((q, s) => s.end('${name}')).listen(process.env.PORT, '127.0.0.1')"]`;

/** One `devport ls` line. */
export interface LsEntry {
  dir: string;
  key: string;
  alive: boolean;
  problem: string | null;
  supervisor: { pid: number; run_id: string | null; tmux: { session: string; window: string; pane: string } | null } | null;
  state: { state: string; port: number | null; pid: number | null; reason: string | null; restarts: number; conflict?: { port: number; pid: number | null } | null } | null;
}

/** `devport ls` in `cwd`, parsed (and checked to succeed). */
export async function lsOf(rig: Rig, cwd: string): Promise<LsEntry[]> {
  const r = await rig.run(['ls'], { cwd, timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`devport ls failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LsEntry);
}
