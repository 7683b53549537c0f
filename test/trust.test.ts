// devport trusts nothing on disk and kills nothing that is not its own: forged
// pids (in a private PID namespace, so a regression cannot hurt the machine),
// symlinks where its files should be, another project's tmux windows, sockets
// and directories of another user, files that would hang or flood a reader.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readState, STATE_CACHE_SETTLE_MS } from '../src/state/read.js';
import { readStat } from '../src/sys/procfs.js';
import { verifyChild } from '../src/sys/trust.js';
import { CLI, httpServer, lsOf, Rig, waitFor } from './rig.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const isRoot = process.getuid?.() === 0;
const canUnshare = isRoot && spawnSync('unshare', ['-pf', '--mount-proc', 'true']).status === 0;
const NOBODY = 65534;

let rig: Rig | undefined;
afterEach(async () => {
  if (!rig) return;
  const left = await rig.cleanup();
  rig = undefined;
  assert.deepEqual(left, [], 'processes left behind');
});

const P = () => (rig as Rig).path('p');
const ls = () => lsOf(rig as Rig, P());
const SERVER = httpServer;

describe('a recorded pid is never trusted blindly', () => {
  test('in a private PID namespace: forged pid / pgid / pid_start never signal a process outside the stack', { skip: !canUnshare && 'needs root and unshare(1)' }, () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'devport-pidns-'));
    try {
      const r = spawnSync('unshare', ['-pf', '--mount-proc', process.execPath, path.join(HERE, 'fixtures', 'pid-trust.mjs'), CLI, base], { encoding: 'utf8', timeout: 240_000 });
      assert.equal(r.status, 0, r.stderr);
      const { cases } = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { cases: { name: string; hit: string[]; code: number | null; trace: boolean; stderr: string }[] };
      assert.equal(cases.length, 27);
      for (const c of cases) {
        assert.deepEqual(c.hit, [], `${c.name}: signalled ${c.hit.join(', ')}`);
        assert.equal(c.code, 0, `${c.name}: exit ${c.code}: ${c.stderr}`);
        assert.equal(c.trace, false, `${c.name}: a stack trace: ${c.stderr}`);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('verifyChild: only a live process with the recorded start time and the service marker', async () => {
    const marker = ['DEVPORT_KEY=k', `DEVPORT_PROJECT_DIR=/nowhere/${process.pid}`];
    const ours = spawn('sleep', ['30'], { env: { ...process.env, DEVPORT_KEY: 'k', DEVPORT_PROJECT_DIR: `/nowhere/${process.pid}` }, stdio: 'ignore', detached: true });
    const other = spawn('sleep', ['30'], { stdio: 'ignore', detached: true });
    try {
      const pid = ours.pid ?? 0;
      await waitFor('started', () => readStat(pid)?.start);
      const start = readStat(pid)?.start ?? 0;
      assert.deepEqual(verifyChild({ pid, pgid: pid, pid_start: start }, marker), { pid, pgid: pid });
      assert.equal(verifyChild({ pid, pgid: pid, pid_start: null }, marker), undefined, 'no start time, no trust');
      assert.equal(verifyChild({ pid, pgid: pid, pid_start: start + 1 }, marker), undefined, 'a reused pid');
      assert.equal(verifyChild({ pid, pgid: pid, pid_start: start }, ['DEVPORT_KEY=other']), undefined, "another service's marker");
      assert.deepEqual(verifyChild({ pid, pgid: 12345678, pid_start: start }, marker), { pid, pgid: null }, 'a group it is not in is never signalled');
      const o = other.pid ?? 0;
      assert.equal(verifyChild({ pid: o, pgid: o, pid_start: readStat(o)?.start ?? null }, marker), undefined, 'an unrelated process');
      for (const p of [1, process.pid, process.ppid, 0, -1]) assert.equal(verifyChild({ pid: p, pgid: p, pid_start: readStat(Math.abs(p))?.start ?? null }, marker), undefined, `pid ${p}`);
    } finally {
      ours.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});

describe('symlinks where devport keeps its files', () => {
  test('a symlinked .devport/<key>: ls and down report it, up refuses it with STATE_UNSAFE and writes nothing through it', async () => {
    rig = new Rig('devport-trust-');
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ${SERVER('api')}\n`);
    const elsewhere = rig.path('elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(rig.path('p/.devport'), { mode: 0o700 });
    symlinkSync(elsewhere, rig.path('p/.devport/api'));
    const [e] = await ls();
    assert.equal(e?.key, 'api');
    assert.equal(e?.alive, false);
    assert.match(e?.problem ?? '', /is a symbolic link/);
    const d = await rig.run(['down'], { cwd: P() });
    assert.equal(d.code, 0);
    assert.match(d.stderr, /warning: api: \.devport\/api is a symbolic link/);
    const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(up.code, 1);
    assert.match(up.stderr, /^error\[STATE_UNSAFE\]: .*\.devport\/api is a symbolic link: devport does not use it$/m);
    assert.deepEqual(spawnSync('ls', ['-A', elsewhere], { encoding: 'utf8' }).stdout, '');
  });

  test('a symlinked output.log is refused: the service does not start, the link target is untouched', async () => {
    rig = new Rig('devport-trust-');
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ${SERVER('api')}\n`);
    const target = rig.write('victim.txt', 'precious\n');
    mkdirSync(rig.path('p/.devport/api'), { recursive: true, mode: 0o700 });
    symlinkSync(target, rig.path('p/.devport/api/output.log'));
    const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(up.code, 1);
    assert.equal(readFileSync(target, 'utf8'), 'precious\n');
    assert.match(readFileSync(rig.path('p/.devport/api/sidecar.log'), 'utf8'), /STATE_UNSAFE.*output\.log is a symbolic link/);
  });
});

describe('state files that would hang, flood or fool a reader', () => {
  test('a FIFO, a 1 GB sparse file and [1,2,3] as state.json: ls, down and up answer at once; down stops what it can verify', async () => {
    rig = new Rig('devport-trust-');
    rig.write('p/devport.toml', `[[service]]\nname = "a"\ncommand = ${SERVER('a')}\n\n[[service]]\nname = "b"\ncommand = ${SERVER('b')}\n\n[[service]]\nname = "c"\ncommand = ${SERVER('c')}\n`);
    const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(up.code, 0, up.stderr);
    const pids = (await ls()).flatMap((e) => [e.supervisor?.pid ?? 0, e.state?.pid ?? 0]);
    // Over the live sidecars' own files (they rewrite them only on a change).
    const st = (k: string) => rig?.path(`p/.devport/${k}/state.json`) ?? '';
    rmSync(st('a'));
    assert.equal(spawnSync('mkfifo', [st('a')]).status, 0);
    truncateSync(st('b'), 1024 ** 3);
    writeFileSync(st('c'), '[1,2,3]');
    const t0 = Date.now();
    const entries = await ls();
    assert.deepEqual(entries.map((e) => [e.key, e.alive]), [['a', true], ['b', true], ['c', true]]);
    assert.match(entries[0]?.problem ?? '', /state\.json is a FIFO, not a regular file/);
    assert.match(entries[1]?.problem ?? '', /state\.json is 1073741824 bytes/);
    assert.match(entries[2]?.problem ?? '', /state\.json does not match the state schema/);
    const again = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P(), timeoutMs: 10_000 });
    assert.match(again.stderr, /ALREADY_RUNNING/);
    // The sidecars are found through their locks and proven by their command lines.
    const d = await rig.run(['down'], { cwd: P(), timeoutMs: 20_000 });
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /stopped 3 services/);
    assert.ok(Date.now() - t0 < 15_000);
    for (const pid of pids) assert.equal(readStat(pid) === undefined || readStat(pid)?.state === 'Z', true, `pid ${pid} left`);
  });
});

describe('the reader that keeps what it parsed', () => {
  // readState keeps each parsed state.json by the file's identity (up's wait loop reads
  // every state at every event): no change, however small, may be served from that.
  test('a state.json changed in place (same size), swapped for a symlink or forged after a good read is read again', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'devport-read-')), 's0');
    mkdirSync(dir);
    const file = path.join(dir, 'state.json');
    const good = readFileSync(path.join(HERE, 'fixtures', 'state-s0.json'), 'utf8');
    // A state is kept once its timestamps are older than a clock tick could blur.
    const settled = () => waitFor('state.json settled', () => Date.now() - statSync(file).ctimeMs > STATE_CACHE_SETTLE_MS, 2000);
    try {
      writeFileSync(file, good);
      await settled();
      const first = readState(dir);
      assert.equal(first.kind, 'ok');
      assert.equal(readState(dir), first, 'an unchanged file is not parsed again');
      assert.throws(() => {
        if (first.kind === 'ok') (first.file.state as { port: number }).port = 1;
      }, TypeError, 'what readers share is frozen');
      // Same length, another healthy port: rewritten in place (same inode).
      const moved = good.replace('"port": 27492', '"port": 27493');
      assert.equal(moved.length, good.length);
      writeFileSync(file, moved);
      const second = readState(dir);
      assert.equal(second.kind === 'ok' && second.file.state.port, 27493);
      await settled();
      assert.equal(readState(dir).kind, 'ok');
      // Forged: the same size again, no longer the schema's.
      writeFileSync(file, good.replace('"healthy"', '"HEALTHY"'));
      assert.equal(readState(dir).kind, 'invalid');
      rmSync(file);
      symlinkSync(path.join(HERE, 'fixtures', 'state-s0.json'), file);
      const linked = readState(dir);
      assert.equal(linked.kind, 'invalid');
      assert.match(linked.kind === 'invalid' ? linked.reason : '', /symbolic link/);
      rmSync(file);
      assert.equal(readState(dir).kind, 'missing');
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});

describe('another project with the same directory name', () => {
  test('gets its own tmux session, and its down never touches ours, even with a forged state', async () => {
    rig = new Rig('devport-trust-');
    rig.write('a/p/devport.toml', `[[service]]\nname = "api"\ncommand = ${SERVER('a')}\n`);
    rig.write('b/p/devport.toml', `[[service]]\nname = "api"\ncommand = ${SERVER('b')}\n`);
    const A = rig.path('a/p');
    const B = rig.path('b/p');
    const upB = await rig.run(['up', '--daemon'], { cwd: B });
    assert.equal(upB.code, 0, upB.stderr);
    const bState = JSON.parse(readFileSync(path.join(B, '.devport/api/state.json'), 'utf8')) as { supervisor: { pid: number; tmux: { pane: string } } };
    const bTmux = JSON.parse(readFileSync(path.join(B, '.devport/tmux.json'), 'utf8')) as { session: string };
    // A has never run: its down says so and leaves B alone.
    const downA = await rig.run(['down'], { cwd: A });
    assert.equal(downA.stdout, 'devport down: nothing running\n');
    // A's state forged to point at B's pane and session: still nothing of B is touched.
    mkdirSync(path.join(A, '.devport/api'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(A, '.devport/tmux.json'), JSON.stringify({ ...bTmux, created: true }));
    const forged = JSON.parse(readFileSync(path.join(B, '.devport/api/state.json'), 'utf8')) as { supervisor: { spec: string }; state: { state: string } };
    forged.supervisor.spec = path.join(A, 'devport.toml');
    forged.state.state = 'healthy';
    writeFileSync(path.join(A, '.devport/api/state.json'), JSON.stringify(forged));
    const downA2 = await rig.run(['down'], { cwd: A });
    assert.equal(downA2.code, 0, downA2.stderr);
    assert.equal(readStat(bState.supervisor.pid)?.state !== undefined && readStat(bState.supervisor.pid)?.state !== 'Z', true, "B's sidecar lives");
    assert.equal(rig.tmux(['display-message', '-p', '-t', bState.supervisor.tmux.pane, '#{pane_id}']).stdout.trim(), bState.supervisor.tmux.pane, "B's window lives");
    const upA = await rig.run(['up', '--daemon'], { cwd: A });
    assert.equal(upA.code, 0, upA.stderr);
    const aTmux = JSON.parse(readFileSync(path.join(A, '.devport/tmux.json'), 'utf8')) as { session: string };
    assert.notEqual(aTmux.session, bTmux.session);
    assert.match(aTmux.session, /^devport-p-[0-9a-z]{4}$/);
    await rig.run(['down'], { cwd: A });
    assert.ok((await rig.run(['ls'], { cwd: B })).stdout.includes('"alive":true'), 'B still runs after A went down');
    await rig.run(['down'], { cwd: B });
  });
});

describe('another local user', () => {
  test('cannot read output, state or the plan, nor connect to rpc.sock', { skip: !isRoot && 'needs root to act as nobody' }, async () => {
    rig = new Rig('devport-trust-');
    // The project dir itself is world-readable: only devport's own modes protect its files.
    chmodSync(rig.dir, 0o755);
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ["node", "-e", "console.log('secret-token-42'); require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"]\n`);
    chmodSync(P(), 0o755);
    const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(up.code, 0, up.stderr);
    await waitFor('output', () => readFileSync(rig?.path('p/.devport/api/output.log') ?? '', 'utf8').includes('secret-token-42'));
    for (const f of ['.devport/api/output.log', '.devport/api/state.json', '.devport/plan.json']) {
      const r = spawnSync('runuser', ['-u', 'nobody', '--', 'cat', path.join(P(), f)], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, `nobody read ${f}`);
      assert.doesNotMatch(r.stdout, /secret-token-42/);
    }
    const sock = path.join(P(), '.devport/api/rpc.sock');
    const r = spawnSync('runuser', ['-u', 'nobody', '--', 'curl', '-s', '--max-time', '2', '--unix-socket', sock, 'http://rpc/logs'], { encoding: 'utf8' });
    assert.doesNotMatch(r.stdout, /secret-token-42/);
    assert.equal(statSync(path.join(P(), '.devport')).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(P(), '.devport/api')).mode & 0o777, 0o700);
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    await rig.run(['down'], { cwd: P() });
  });

  test("a socket dir another user made first is refused; a socket of another user's is never talked to", { skip: !isRoot && 'needs root to act as nobody' }, async () => {
    rig = new Rig('devport-trust-');
    const runtime = mkdtempSync(path.join(os.tmpdir(), 'dprt-'));
    chmodSync(runtime, 0o777);
    try {
      // Another user got there first: $XDG_RUNTIME_DIR/devport-<uid>, 0777, theirs.
      const squat = path.join(runtime, `devport-${process.getuid?.() ?? 0}`);
      mkdirSync(squat, { mode: 0o777 });
      chmodSync(squat, 0o777);
      chownSync(squat, NOBODY, NOBODY);
      // A state dir deep enough that rpc.sock must live in the runtime dir.
      const deep = `p/${'d'.repeat(60)}/${'e'.repeat(60)}`;
      rig.write(`${deep}/devport.toml`, `[[service]]\nname = "api"\ncommand = ${SERVER('api')}\n`);
      const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: rig.path(deep), env: { XDG_RUNTIME_DIR: runtime } });
      assert.equal(up.code, 1, up.stdout);
      assert.match(readFileSync(rig.path(`${deep}/.devport/api/output.log`), 'utf8') + readFileSync(rig.path(`${deep}/.devport/api/sidecar.log`), 'utf8'), /is not a private directory of uid 0.*refusing to put rpc\.sock there/);
      // A socket that is not ours behind rpc.sock: `devport restart` refuses to talk to it.
      rig.write('q/devport.toml', `[[service]]\nname = "api"\ncommand = ${SERVER('api')}\n`);
      const fakeDir = mkdtempSync(path.join(os.tmpdir(), 'dpfake-'));
      chmodSync(fakeDir, 0o777);
      const fake = path.join(fakeDir, 'fake.sock');
      // As nobody; setpriv execs (runuser would fork and leave the server behind when killed).
      const fakeServer = `const s = require('net').createServer((c) => c.once('data', () => c.end('HTTP/1.1 202 Accepted\\r\\ncontent-length: 30\\r\\n\\r\\n{"ok":true,"message":"sure!"}\\n'))); s.listen(${JSON.stringify(fake)}, () => { require('fs').chmodSync(${JSON.stringify(fake)}, 0o777); console.log('ready'); });`;
      const server = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', fakeServer], { stdio: ['ignore', 'pipe', 'inherit'] });
      rig.track(server);
      await new Promise<void>((resolve, reject) => {
        server.stdout?.once('data', () => resolve());
        server.once('exit', (code) => reject(new Error(`the fake socket server exited ${code}`)));
      });
      const { ensureServiceDir } = await import('../src/state/dirs.js');
      const { acquireLock } = await import('../src/state/lock.js');
      const dir = ensureServiceDir(rig.path('q/.devport'), 'api');
      symlinkSync(fake, path.join(dir, 'rpc.sock'));
      const lock = await acquireLock(dir);
      assert.ok(lock.ok);
      try {
        const r = await rig.run(['restart', 'api', '--no-wait'], { cwd: rig.path('q') });
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, /is not a socket of yours \(owner uid 65534\): not talking to it/);
        assert.doesNotMatch(r.stdout, /restarting/);
      } finally {
        lock.lock.release();
        server.kill('SIGKILL');
        rmSync(fakeDir, { recursive: true, force: true });
      }
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  });
});

describe('the port of a crashed sidecar', () => {
  test('a SIGKILLed sidecar whose child survived: the next up reaps it and keeps the port', async () => {
    rig = new Rig('devport-trust-');
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ["node", "-e", "process.on('SIGHUP', () => {}); require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, '127.0.0.1')"]\n`);
    const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(up.code, 0, up.stderr);
    const [before] = await ls();
    process.kill(before?.supervisor?.pid ?? 0, 'SIGKILL');
    await waitFor('lock released', async () => !(await ls())[0]?.alive);
    assert.equal(readStat(before?.state?.pid ?? 0)?.state !== undefined, true, 'the child survived its sidecar');
    const dry = await rig.run(['up', '--dry-run', '--json'], { cwd: P() });
    assert.equal((JSON.parse(dry.stdout) as { services: { port: number }[] }).services[0]?.port, before?.state?.port);
    const again = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P() });
    assert.equal(again.code, 0, again.stderr);
    const [after] = await ls();
    assert.equal(after?.state?.port, before?.state?.port);
    assert.notEqual(after?.state?.pid, before?.state?.pid);
    await rig.run(['down'], { cwd: P() });
  });
});
