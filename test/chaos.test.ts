// Chaos: a seeded random walk over what people, agents and crashes do to a
// running stack — kill -9 of children and sidecars, restart, up again, down,
// edits (hot reloads), requests through the proxy — checking the invariants
// after every step:
//   - a state dir that is alive has exactly one sidecar, and it holds the lock;
//   - every state.json parses and matches the state schema;
//   - after `down`, nothing carrying the stack's marker is left;
//   - the proxy answers 200 or its 502 page within a deadline, never hangs.
// DEVPORT_CHAOS_SEEDS=1,2,3 and DEVPORT_CHAOS_STEPS=200 run longer walks.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { readState } from '../src/state/read.js';
import { Rig, waitFor } from './rig.js';

const SEEDS = (process.env.DEVPORT_CHAOS_SEEDS ?? '1,2').split(',').map(Number);
const STEPS = Number(process.env.DEVPORT_CHAOS_STEPS ?? 40);

/** mulberry32: a small seeded PRNG, so a failing walk can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPEC = (proxyPort: number) => `
[[service]]
name = "seed"
type = "task"
command = ["node", "-e", "setTimeout(() => console.log('seeded'), 50)"]

[[service]]
name = "worker"
command = ["node", "-e", "setInterval(() => {}, 1000)"]
no_port = true

[[service]]
type = "proxy"
name = "web"
port = ${proxyPort}
hold_timeout = "1s"
  [[service.routes]]
  name = "api"
  path = "/"
  command = ["node", "api.js"]
  depends_on = ["seed"]
  watch = ["api.js"]
`;

const API = (text: string) => `require('http').createServer((q, s) => s.end(${JSON.stringify(text)})).listen(process.env.PORT, '127.0.0.1');\n`;

type Line = { key: string; alive: boolean; supervisor: { pid: number } | null; state: { state: string; pid: number | null } | null; problem: string | null };

function holdersOf(dir: string): number[] {
  const { ino } = statSync(dir);
  const out: number[] = [];
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    if (line.includes('->')) continue;
    const t = line.trim().split(/\s+/);
    const i = t.findIndex((x) => x.endsWith(`:${ino}`));
    if (i > 0 && t[1] === 'FLOCK') out.push(Number(t[i - 1]));
  }
  return out;
}

/**
 * Live sidecar processes of this stack, by key (their command line names the plan in this stack's
 * state dir). A process whose parent is a sidecar of the same key is that sidecar forking a child
 * (its build, its pty child) that has not exec'd yet: it still shows the sidecar's command line.
 */
function sidecarsByKey(stateDir: string): Map<string, number[]> {
  const found: { pid: number; ppid: number; key: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let argv: string[];
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue;
      argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = argv.indexOf('_supervise');
    if (at < 0 || !(argv[argv.indexOf('--plan') + 1] ?? '').startsWith(stateDir + '/')) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    found.push({ pid: Number(d), ppid, key: argv[argv.indexOf('--key') + 1] ?? '' });
  }
  const out = new Map<string, number[]>();
  for (const f of found) {
    if (found.some((o) => o.key === f.key && o.pid === f.ppid)) continue;
    out.set(f.key, [...(out.get(f.key) ?? []), f.pid]);
  }
  return out;
}

function get(port: number, deadlineMs: number): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: deadlineMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('hung')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

const rigs: Rig[] = [];
after(async () => {
  for (const r of rigs) assert.deepEqual(await r.cleanup(), [], 'processes left behind');
});

describe('chaos', () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: ${STEPS} random steps keep the invariants`, async () => {
      const rig = new Rig('devport-chaos-');
      rigs.push(rig);
      const { freePort } = await import('./rig.js');
      const proxyPort = await freePort();
      rig.write('p/devport.toml', SPEC(proxyPort));
      rig.write('p/api.js', API('v0'));
      const P = rig.path('p');
      const stateDir = path.join(P, '.devport');
      const rand = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
      const log: string[] = [];
      process.stdout.write(`# chaos seed ${seed}, ${STEPS} steps (DEVPORT_CHAOS_SEEDS=${seed} replays it)\n`);

      const ls = async (): Promise<Line[]> => {
        const r = await rig.run(['ls'], { cwd: P });
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
      };
      const fail = (step: number, what: string): never => assert.fail(`seed ${seed}, step ${step}: ${what}\nsteps so far:\n${log.join('\n')}`);

      const check = async (step: number, afterDown: boolean) => {
        const entries = await ls();
        const sidecars = sidecarsByKey(stateDir);
        for (const e of entries) {
          const dir = path.join(stateDir, e.key);
          const read = readState(dir);
          if (read.kind === 'invalid') fail(step, `${e.key}: ${read.reason}`);
          if (e.problem) fail(step, `${e.key}: ${e.problem}`);
          const procs = sidecars.get(e.key) ?? [];
          if (procs.length > 1) fail(step, `${e.key} has ${procs.length} sidecars: ${procs.join(', ')}`);
          if (e.alive) {
            const holders = holdersOf(dir);
            if (holders.length !== 1 || !procs.includes(holders[0] as number)) fail(step, `${e.key} is alive, but its lock is held by [${holders.join(', ')}] and its sidecars are [${procs.join(', ')}]`);
          }
        }
        if (afterDown) {
          // down returns once everything is gone: nothing of the stack may be left, at once.
          const left = rig.leftovers();
          if (left.length > 0) fail(step, `left after down: ${JSON.stringify(left)}`);
        }
        const proxyAlive = entries.some((e) => e.key === 'web' && e.alive);
        const r = await get(proxyPort, 5000);
        if ('error' in r) {
          if (r.error === 'hung' || proxyAlive) fail(step, `the proxy ${r.error === 'hung' ? 'hung' : `failed: ${r.error}`} (alive: ${proxyAlive})`);
        } else if (!(r.status === 200 && /^v\d+$/.test(r.body)) && !(r.status === 502 && r.body.includes('Bad Gateway'))) {
          fail(step, `the proxy answered ${r.status}: ${r.body.slice(0, 200)}`);
        }
      };

      const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P });
      assert.equal(up.code, 0, up.stderr);
      let version = 0;
      for (let step = 1; step <= STEPS; step++) {
        const entries = await ls();
        const action = pick(['kill-child', 'kill-child', 'kill-sidecar', 'restart', 'restart', 'up', 'down', 'edit', 'request'] as const);
        let note: string = action;
        let afterDown = false;
        switch (action) {
          case 'kill-child': {
            const e = pick(entries.filter((x) => x.alive && x.state?.pid));
            if (e?.state?.pid) {
              note += ` ${e.key} (pid ${e.state.pid})`;
              try {
                process.kill(e.state.pid, 'SIGKILL');
              } catch {
                /* already gone */
              }
            }
            break;
          }
          case 'kill-sidecar': {
            const e = pick(entries.filter((x) => x.alive && x.supervisor));
            if (e?.supervisor) {
              note += ` ${e.key} (pid ${e.supervisor.pid})`;
              try {
                process.kill(e.supervisor.pid, 'SIGKILL');
              } catch {
                /* already gone */
              }
              await waitFor('its lock released', () => holdersOf(path.join(stateDir, e.key)).length === 0, 5000);
            }
            break;
          }
          case 'restart': {
            const e = pick(entries.filter((x) => x.alive));
            if (e) {
              const r = await rig.run(['restart', e.key, '--timeout', '10s'], { cwd: P, timeoutMs: 20_000 });
              note += ` ${e.key} → ${r.code === 0 ? 'ok' : r.stderr.split('\n')[0]}`;
            }
            break;
          }
          case 'up': {
            const r = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P, timeoutMs: 30_000 });
            note += ` → ${r.code === 0 ? 'ok' : r.stderr.split('\n')[0]}`;
            if (r.code !== 0 && !/ALREADY_RUNNING|SERVICE_UNHEALTHY|TASK_FAILED/.test(r.stderr)) fail(step, `up failed unexpectedly: ${r.stderr}`);
            break;
          }
          case 'down': {
            const r = await rig.run(['down'], { cwd: P, timeoutMs: 30_000 });
            if (r.code !== 0) fail(step, `down failed: ${r.stderr}`);
            afterDown = true;
            break;
          }
          case 'edit':
            version++;
            writeFileSync(rig.path('p/api.js'), API(`v${version}`));
            note += ` api.js → v${version}`;
            break;
          case 'request':
            break;
        }
        log.push(`  ${step}. ${note}`);
        await check(step, afterDown);
      }
      const d = await rig.run(['down'], { cwd: P, timeoutMs: 30_000 });
      assert.equal(d.code, 0, d.stderr);
      await check(STEPS + 1, true);
    });
  }
});
