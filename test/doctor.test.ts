// `devport doctor` and `devport completion`, through the built CLI: a missing
// tmux or util-linux flock is a PATH without it, a missing fs-ext is
// DEVPORT_LOCK=flock-helper or a copy of dist/ with no node_modules beside it,
// and each completion script is loaded by its own shell.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CHECK_NAMES } from '../src/doctor/check.js';
import { lockKind } from '../src/state/lock.js';
import { CLI, freePort, listenOn, REPO, Rig, stateFixture, waitFor } from './rig.js';
import { check } from './schema-lite.js';

const rig = new Rig('devport-doctor-');
after(async () => assert.deepEqual(await rig.cleanup(), []));

const SCHEMA = JSON.parse(readFileSync(path.join(REPO, 'spec', 'doctor.schema.json'), 'utf8'));
const UID = process.getuid?.() ?? 0;

interface CheckOut {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint?: string;
}

/** A private XDG_RUNTIME_DIR per test, so the user's own is never looked at. */
function xdg(name: string): string {
  const dir = rig.path(`xdg-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A directory holding only these programs (symlinks to the real ones): a PATH without the rest. */
function binWith(name: string, programs: string[]): string {
  const dir = rig.path(`bin-${name}`);
  mkdirSync(dir, { recursive: true });
  for (const p of programs) {
    const real = spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).stdout.trim();
    assert.ok(real, `${p} is installed`);
    symlinkSync(real, path.join(dir, p));
  }
  return dir;
}

/** Checks the JSON report as any caller may rely on it: the schema, every check once in order, hints, exit status. */
function parseReport(r: { code: number | null; stdout: string; stderr: string }): { ok: boolean; by: Record<string, CheckOut>; checks: CheckOut[] } {
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one JSON object on stdout: ${r.stdout}${r.stderr}`);
  const report = JSON.parse(lines[0] ?? '') as { ok: boolean; checks: CheckOut[] };
  assert.deepEqual(check(SCHEMA, report), []);
  assert.deepEqual(report.checks.map((c) => c.name), [...CHECK_NAMES]);
  for (const c of report.checks) assert.equal(c.hint !== undefined, c.status !== 'ok', `${c.name}: a hint exactly when not ok`);
  assert.equal(report.ok, report.checks.every((c) => c.status !== 'fail'));
  assert.equal(r.code, report.ok ? 0 : 1, r.stderr);
  return { ok: report.ok, by: Object.fromEntries(report.checks.map((c) => [c.name, c])), checks: report.checks };
}

async function doctor(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; xdg?: string } = {}) {
  const env = { XDG_RUNTIME_DIR: opts.xdg ?? xdg('default'), ...opts.env };
  return parseReport(await rig.run(['doctor', '--json', ...args], { cwd: opts.cwd ?? rig.dir, env, timeoutMs: 30_000 }));
}

function project(name: string, spec: string): string {
  rig.write(`${name}/devport.toml`, spec);
  return rig.path(name);
}

const ONE_SERVICE = `[[service]]
name = "api"
command = ["node", "-e", "setInterval(() => {}, 1000)"]
`;

/** What the test's own process says about fs-ext: the CLI under test resolves the same node_modules. */
const LOCK_STATUS = lockKind() === 'flock' ? 'ok' : 'warn';

describe('devport doctor', () => {
  test('a valid project: every check in order, as the schema says, and exit 0 unless one failed', async () => {
    const dir = project('valid', ONE_SERVICE);
    const { by } = await doctor([], { cwd: dir });
    for (const name of ['node', 'tmux', 'node-pty', 'watcher', 'spec', 'ports', 'runtime-dir', 'state-dir']) assert.equal(by[name]?.status, 'ok', JSON.stringify(by[name]));
    assert.equal(by.lock?.status, LOCK_STATUS);
    // Docker is optional: whatever this machine has, a spec without compose services never fails on it.
    assert.notEqual(by.docker?.status, 'fail');
    assert.notEqual(by.compose?.status, 'fail');
    assert.match(by.node?.detail ?? '', new RegExp(`^${process.version.replace(/\./g, '\\.')} \\(devport needs >=20\\.16\\)$`));
    assert.match(by.tmux?.detail ?? '', /^tmux \d/);
    assert.match(by.spec?.detail ?? '', /devport\.toml is valid \(1 service\)$/);
    assert.match(by.ports?.detail ?? '', /^port_range 20000-29999: \d+ of 10000 free/);
    assert.match(by['state-dir']?.detail ?? '', /does not exist yet/);

    // The same checks for people: a line per check, the summary; no colour into a pipe.
    const human = await rig.run(['doctor'], { cwd: dir, env: { XDG_RUNTIME_DIR: xdg('default') } });
    assert.equal(human.code, 0, human.stderr);
    assert.doesNotMatch(human.stdout, /\u001b\[/);
    const lines = human.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'devport doctor');
    for (const name of CHECK_NAMES) assert.ok(lines.some((l) => new RegExp(`^  [✓!✗] ${name}\\s`).test(l)), `a line for ${name}:\n${human.stdout}`);
    assert.match(lines[lines.length - 1] ?? '', /^devport doctor: (all 11 checks passed|\d+ warnings?)$/);
  });

  test('without tmux on PATH: a warning that the sidecars run detached, and still exit 0', async () => {
    const dir = project('notmux', ONE_SERVICE);
    const { ok, by } = await doctor([], { cwd: dir, env: { PATH: binWith('notmux', ['flock']) } });
    assert.equal(by.tmux?.status, 'warn');
    assert.match(by.tmux?.detail ?? '', /^not on PATH: without it devport runs the sidecars detached/);
    assert.match(by.tmux?.hint ?? '', /install tmux/);
    // No docker on that PATH either: a warning, since the spec has no compose service.
    assert.equal(by.docker?.status, 'warn');
    assert.match(by.docker?.detail ?? '', /^the docker CLI is not on PATH; only compose services need it$/);
    assert.equal(by.compose?.status, 'warn');
    assert.equal(ok, true);
  });

  test('Docker and compose: warnings, but failures when the spec has a compose service', async () => {
    const dir = project('compose', `[[service]]\nname = "db"\ntype = "compose"\nport = 5432\n`);
    rig.write('compose/compose.yaml', 'services:\n  db:\n    image: postgres\n');
    const { ok, by } = await doctor([], { cwd: dir, env: { PATH: binWith('nodocker', ['flock', 'tmux']) } });
    assert.equal(by.spec?.status, 'ok', by.spec?.detail);
    assert.deepEqual([by.docker?.status, by.docker?.detail], ['fail', 'the docker CLI is not on PATH; compose service "db" of this spec needs it']);
    assert.match(by.docker?.hint ?? '', /install Docker/);
    assert.equal(by.compose?.status, 'fail');
    assert.match(by.compose?.detail ?? '', /nor `docker-compose` \(v1\) is on PATH; compose service "db" of this spec needs it$/);
    assert.equal(ok, false);
  });

  test('without the fs-ext addon: the util-linux flock helper, named; without flock too, a failure', async () => {
    const dir = project('nofsext', ONE_SERVICE);
    const helper = await doctor([], { cwd: dir, env: { DEVPORT_LOCK: 'flock-helper', PATH: binWith('flock-only', ['flock', 'tmux']) } });
    assert.equal(helper.by.lock?.status, 'warn');
    assert.match(helper.by.lock?.detail ?? '', /^util-linux flock helper \(.*bin-flock-only\/flock\): DEVPORT_LOCK=flock-helper turns the fs-ext addon off; locks work/);
    assert.match(helper.by.lock?.hint ?? '', /unset DEVPORT_LOCK/);
    assert.equal(helper.ok, true);

    const none = await doctor([], { cwd: dir, env: { DEVPORT_LOCK: 'flock-helper', PATH: binWith('no-flock', ['tmux']) } });
    assert.equal(none.by.lock?.status, 'fail');
    assert.match(none.by.lock?.detail ?? '', /util-linux's flock is not on PATH: sidecars cannot take their locks/);
    assert.match(none.by.lock?.hint ?? '', /install util-linux/);
    assert.equal(none.ok, false);
  });

  test('a copy of devport without node_modules: node-pty fails, the watcher warns (fails for a spec that watches), locks use the helper', async () => {
    // dist/ and package.json, as an install whose native dependencies are missing.
    const pkg = rig.path('bare-install');
    cpSync(path.dirname(CLI), path.join(pkg, 'dist', 'cli'), { recursive: true });
    cpSync(path.join(path.dirname(CLI), '..', '..', 'package.json'), path.join(pkg, 'package.json'));
    const cli = path.join(pkg, 'dist', 'cli', 'devport.js');
    const run = (cwd: string) => {
      const r = spawnSync(process.execPath, [cli, 'doctor', '--json'], { cwd, env: rig.env({ XDG_RUNTIME_DIR: xdg('bare') }), encoding: 'utf8', timeout: 30_000 });
      return parseReport({ code: r.status, stdout: r.stdout, stderr: r.stderr });
    };
    const plain = run(project('bare-plain', ONE_SERVICE));
    assert.equal(plain.by['node-pty']?.status, 'fail');
    assert.match(plain.by['node-pty']?.detail ?? '', /^@lydell\/node-pty does not load: Cannot find module '@lydell\/node-pty'.*; no service can start$/);
    assert.equal(plain.by.watcher?.status, 'warn');
    assert.match(plain.by.watcher?.detail ?? '', /^@parcel\/watcher does not load .*hot reload \(`watch`\) cannot work$/);
    assert.equal(plain.by.lock?.status, 'warn');
    assert.match(plain.by.lock?.detail ?? '', /the fs-ext addon did not load/);
    assert.equal(plain.by.node?.status, 'ok', 'engines read from the copy\'s own package.json');
    assert.equal(plain.ok, false);

    const watching = run(project('bare-watch', `${ONE_SERVICE}watch = ["src/**"]\n`));
    assert.equal(watching.by.watcher?.status, 'fail');
    assert.match(watching.by.watcher?.detail ?? '', /"api" of this spec watches files$/);
  });

  test('the spec: none is a warning, a missing -f or an invalid spec a failure counting its errors', async () => {
    const empty = rig.path('no-spec');
    mkdirSync(empty, { recursive: true });
    const none = await doctor([], { cwd: empty });
    assert.equal(none.by.spec?.status, 'warn');
    assert.match(none.by.spec?.detail ?? '', /^no devport\.toml in .*no-spec or any parent directory$/);
    assert.match(none.by.ports?.detail ?? '', /^the default port_range 20000-29999: /);
    assert.deepEqual([none.by['state-dir']?.status, none.by['state-dir']?.detail], ['ok', 'no spec, so no .devport/ to check']);

    const missing = await doctor(['--file', 'nope/devport.toml'], { cwd: empty });
    assert.equal(missing.by.spec?.status, 'fail');
    assert.equal(missing.ok, false);

    const dir = project('invalid', `[[service]]\nname = "api"\ncomand = ["node"]\nport = 70000\n`);
    const bad = await doctor([], { cwd: dir });
    assert.equal(bad.by.spec?.status, 'fail');
    assert.match(bad.by.spec?.detail ?? '', /devport\.toml has 2 errors; first: devport\.toml:3:1 unknown key "comand"/);
    assert.match(bad.by.spec?.hint ?? '', /devport up --dry-run/);
    assert.equal(bad.ok, false);
    // Ports still checked, in the default range: the invalid spec's own is not trusted.
    assert.match(bad.by.ports?.detail ?? '', /^the default port_range/);

    const human = await rig.run(['doctor'], { cwd: dir, env: { XDG_RUNTIME_DIR: xdg('default') } });
    assert.equal(human.code, 1);
    assert.match(human.stdout, /\n  ✗ spec +.*has 2 errors.*\n +hint: `devport up --dry-run` prints each error/);
    assert.match(human.stdout, /devport doctor: 1 check failed/);
  });

  test('the port range: ports bound by others are counted; none free fails', async () => {
    // Two neighbouring ports, both held by this test.
    let held: Server[] = [];
    let lo = 0;
    for (let tries = 0; held.length < 2 && tries < 20; tries++) {
      for (const s of held) s.close();
      held = [];
      lo = await freePort();
      try {
        held.push(await listenOn(lo), await listenOn(lo + 1));
      } catch {
        /* the neighbour was taken: try another pair */
      }
    }
    assert.equal(held.length, 2, 'two neighbouring free ports');
    try {
      const dir = project('ports', `port_range = [${lo}, ${lo + 1}]\n${ONE_SERVICE}`);
      const full = await doctor([], { cwd: dir });
      assert.equal(full.by.ports?.status, 'fail');
      assert.equal(full.by.ports?.detail, `port_range ${lo}-${lo + 1}: 0 of 2 free, 2 bound by other processes; the spec allocates 1`);
      assert.match(full.by.ports?.hint ?? '', /port_range/);
      await new Promise((r) => held.pop()?.close(r));
      const one = await doctor([], { cwd: dir });
      assert.deepEqual([one.by.ports?.status, one.by.ports?.detail], ['ok', `port_range ${lo}-${lo + 1}: 1 of 2 free, 1 bound by other processes`]);
    } finally {
      for (const s of held) s.close();
    }
  });

  test('the runtime dir: absent or private is fine; one that is not private fails, saying why', async () => {
    const base = xdg('runtime');
    const dir = path.join(base, `devport-${UID}`);
    const absent = await doctor([], { xdg: base });
    assert.deepEqual([absent.by['runtime-dir']?.status, absent.by['runtime-dir']?.detail], ['ok', `${dir} does not exist yet (made 0700 when a socket path is too long)`]);
    assert.equal(existsSync(dir), false, 'doctor creates nothing');

    mkdirSync(dir, { mode: 0o700 });
    assert.equal((await doctor([], { xdg: base })).by['runtime-dir']?.status, 'ok');

    chmodSync(dir, 0o755);
    const open = await doctor([], { xdg: base });
    assert.equal(open.by['runtime-dir']?.status, 'fail');
    assert.equal(open.by['runtime-dir']?.detail, `${dir} has mode 755, not 0700: sidecars refuse to put sockets there`);
    assert.equal(open.by['runtime-dir']?.hint, `remove it (\`rm -r "${dir}"\`); devport makes it again, private`);

    const linked = xdg('runtime-link');
    symlinkSync(dir, path.join(linked, `devport-${UID}`));
    const link = await doctor([], { xdg: linked });
    assert.equal(link.by['runtime-dir']?.status, 'fail');
    assert.match(link.by['runtime-dir']?.detail ?? '', /is a symbolic link: sidecars refuse/);
  });

  test('.devport/: entries devport cannot trust fail, named as `ls` names them', async () => {
    const dir = project('state', ONE_SERVICE);
    rig.write('state/.devport/api/state.json', stateFixture('api', 'stopped'));
    const fine = await doctor([], { cwd: dir });
    assert.deepEqual([fine.by['state-dir']?.status, fine.by['state-dir']?.detail], ['ok', '.devport: 1 service dir, 0 alive, nothing untrusted']);

    symlinkSync(rig.path('elsewhere'), rig.path('state/.devport/evil'));
    const bad = await doctor([], { cwd: dir });
    assert.equal(bad.by['state-dir']?.status, 'fail');
    assert.equal(bad.by['state-dir']?.detail, '.devport: 1 untrusted entry (2 service dirs, 0 alive); .devport/evil is a symbolic link');
    assert.match(bad.by['state-dir']?.hint ?? '', /^remove it \(`rm -r ".*state\/.devport\/evil"`\); `devport ls` lists each with its problem$/);

    const linked = project('state-link', ONE_SERVICE);
    symlinkSync(rig.path('state/.devport'), path.join(linked, '.devport'));
    const link = await doctor([], { cwd: linked });
    assert.equal(link.by['state-dir']?.status, 'fail');
    assert.equal(link.by['state-dir']?.detail, '.devport is a symbolic link: devport does not use it');
  });

  test('coloured on a terminal only, and never with NO_COLOR', async () => {
    const pty = createRequire(import.meta.url)('@lydell/node-pty') as {
      spawn(file: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; cols: number; rows: number }): { onData(f: (d: string) => void): void; onExit(f: () => void): void };
    };
    const onTerminal = (extra: Record<string, string | undefined>) =>
      new Promise<string>((resolve) => {
        let out = '';
        const p = pty.spawn(process.execPath, [CLI, 'doctor'], { cwd: rig.dir, env: rig.env({ XDG_RUNTIME_DIR: xdg('default'), TERM: 'xterm', ...extra }), cols: 200, rows: 50 });
        p.onData((d) => (out += d));
        p.onExit(() => resolve(out));
      });
    const coloured = await onTerminal({ NO_COLOR: undefined });
    assert.match(coloured, /\u001b\[32m✓\u001b\[39m node/);
    assert.doesNotMatch(await onTerminal({ NO_COLOR: '1' }), /\u001b\[\d/);
  });

  test('with a running stack: its dirs are alive, its ports its own, and bash completes its services', async () => {
    const dir = project('running', `[[service]]\nname = "api"\ncommand = ["node", "-e", "require('http').createServer((q, s) => s.end('x')).listen(process.env.PORT, '127.0.0.1')"]\n`);
    const up = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: dir, timeoutMs: 30_000 });
    assert.equal(up.code, 0, up.stderr);
    try {
      const { by } = await doctor([], { cwd: dir });
      assert.deepEqual([by['state-dir']?.status, by['state-dir']?.detail], ['ok', '.devport: 1 service dir, 1 alive, nothing untrusted']);
      assert.equal(by.ports?.status, 'ok');
      assert.match(by.ports?.detail ?? '', /, 1 held by this stack$/);
      // Bash completes the running stack's services.
      assert.deepEqual(bashComplete(['devport', 'logs', ''], dir), ['api']);
    } finally {
      const down = await rig.run(['down'], { cwd: dir });
      assert.equal(down.code, 0, down.stderr);
    }
  });
});

// ---- completion ----------------------------------------------------------------------------

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A `devport` on PATH that runs the CLI under test: the scripts call it for `ls`. */
const WRAPPER_BIN = (() => {
  const dir = rig.path('wrapper-bin');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'devport'), `#!/bin/sh\nexec ${shq(process.execPath)} ${shq(CLI)} "$@"\n`, { mode: 0o755 });
  return dir;
})();
const completionEnv = () => rig.env({ PATH: `${WRAPPER_BIN}:${process.env.PATH ?? ''}` });

function script(shell: string): string {
  const file = rig.path(`completion.${shell}`);
  if (!existsSync(file)) {
    const r = spawnSync(process.execPath, [CLI, 'completion', shell], { env: rig.env(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    writeFileSync(file, r.stdout);
  }
  return file;
}

/** COMPREPLY for the words (the last is the word being completed), as bash's programmable completion sets it. */
function bashComplete(words: string[], cwd = rig.dir): string[] {
  const line = words.join(' ');
  const prog = [
    `source ${shq(script('bash'))}`,
    `COMP_WORDS=(${words.map(shq).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE=${shq(line)}`,
    `COMP_POINT=${line.length}`,
    '_devport',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', prog], { cwd, env: completionEnv(), encoding: 'utf8', timeout: 15_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

/** The verbs `devport --help` lists, and each one's flags from `devport <verb> --help`: what completion must offer. */
function helpSurface(): Map<string, string[]> {
  const help = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { env: rig.env(), encoding: 'utf8' }).stdout;
  const section = (text: string, title: string) => (text.split(`${title}:\n`)[1] ?? '').split('\n\n')[0]?.split('\n') ?? [];
  const verbs = section(help(['--help']), 'Commands').map((l) => /^ {2}(\S+)/.exec(l)?.[1]).filter((v): v is string => v !== undefined);
  // "  -f, --file <path>   path of devport.toml" → -f, --file
  const flags = (lines: string[]) => lines.filter((l) => /^ {2}-/.test(l)).flatMap((l) => (l.trim().split(/\s{2,}/)[0] ?? '').split(', ').map((f) => f.split(' ')[0] ?? ''));
  return new Map(verbs.map((v) => [v, flags(section(help([v, '--help']), 'Options'))]));
}

/** A project whose .devport/ has two service dirs (not running): `devport ls` lists their keys. */
function fakeStack(): string {
  const dir = project('fake-stack', ONE_SERVICE);
  for (const key of ['api', 'web_app']) rig.write(`fake-stack/.devport/${key}/state.json`, stateFixture(key, 'stopped'));
  return dir;
}

describe('devport completion', () => {
  test('bash: a valid script that completes every verb and flag of the program', () => {
    assert.equal(spawnSync('bash', ['-n', script('bash')]).status, 0);
    assert.deepEqual(bashComplete(['devport', 're']), ['requests', 'restart']);
    const surface = helpSurface();
    assert.ok(surface.has('doctor') && surface.has('completion') && !surface.has('_supervise'), [...surface.keys()].join(' '));
    assert.deepEqual(bashComplete(['devport', '']).sort(), [...surface.keys()].sort(), 'the verbs are the ones --help lists');
    for (const [verb, flags] of surface) {
      if (verb === 'help') continue;
      assert.deepEqual(bashComplete(['devport', verb, '-']).sort(), flags.sort(), `the flags of ${verb}`);
    }
    assert.deepEqual(bashComplete(['devport', 'up', '--d']).sort(), ['--daemon', '--dashboard', '--dry-run']);
    assert.deepEqual(bashComplete(['devport', '--v']), ['--version']);
    assert.deepEqual(bashComplete(['devport', 'completion', '']), ['bash', 'zsh', 'fish']);
    assert.deepEqual(bashComplete(['devport', 'help', 'doc']), ['doctor']);
    assert.deepEqual(bashComplete(['devport', 'restart', '--timeout', '']), [], 'a duration: nothing to offer');
    // Files where a verb takes a spec: the positional, and -f / --file (also as --file=).
    const dir = project('files', ONE_SERVICE);
    assert.deepEqual(bashComplete(['devport', 'up', 'dev'], dir), ['devport.toml']);
    assert.deepEqual(bashComplete(['devport', 'doctor', '--file', 'dev'], dir), ['devport.toml']);
    assert.deepEqual(bashComplete(['devport', 'up', '--file', '=', 'dev'], dir), ['devport.toml']);
    // `logs -f` is --follow, not a file: the next word is a service.
    assert.deepEqual(bashComplete(['devport', 'logs', '-f', 'dev'], dir), []);
  });

  test('bash: services come from `devport ls` of the stack (its -f too)', () => {
    const dir = fakeStack();
    assert.deepEqual(bashComplete(['devport', 'logs', ''], dir), ['api', 'web_app']);
    assert.deepEqual(bashComplete(['devport', 'logs', 'w'], dir), ['web_app']);
    assert.deepEqual(bashComplete(['devport', 'restart', 'api', ''], dir), ['api', 'web_app'], 'several services');
    assert.deepEqual(bashComplete(['devport', 'attach', ''], dir), ['api', 'web_app']);
    assert.deepEqual(bashComplete(['devport', 'up', '--only', 'api,w'], dir), ['api,web_app'], 'the last of a comma list');
    assert.deepEqual(bashComplete(['devport', 'attach', 'api', ''], dir), [], 'attach takes one service');
    // From elsewhere, the stack the verb's spec flag names.
    assert.deepEqual(bashComplete(['devport', 'logs', '--file', path.join(dir, 'devport.toml'), ''], rig.dir), ['api', 'web_app']);
    assert.deepEqual(bashComplete(['devport', 'logs', ''], rig.dir), [], 'no stack here: nothing');
  });

  test('zsh: the script parses, and zsh\'s completion system completes verbs, flags and services with it', { skip: has('zsh') ? false : 'zsh is not installed' }, async () => {
    assert.equal(spawnSync('zsh', ['-n', script('zsh')]).status, 0);
    const pty = createRequire(import.meta.url)('@lydell/node-pty') as {
      spawn(file: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; cols: number; rows: number }): { write(d: string): void; kill(): void; onData(f: (d: string) => void): void };
    };
    const z = pty.spawn('zsh', ['-f', '-i'], { cwd: fakeStack(), env: { ...completionEnv(), HOME: rig.dir, TERM: 'dumb' }, cols: 200, rows: 50 });
    let out = '';
    z.onData((d) => (out += d));
    try {
      z.write(`PS1='ready%% '; autoload -Uz compinit; compinit -u -D; source ${shq(script('zsh'))}; print -r -- loaded-$((6 * 7))\r`);
      await waitFor('zsh to load the script', () => out.includes('loaded-42'), 15_000);
      // Each attempt: a fresh line (Ctrl-U), the words, Tab; zsh prints what it completed or lists.
      const attempt = async (typed: string, expect: RegExp) => {
        const from = out.length;
        z.write(`\u0015${typed}\t`);
        await waitFor(`zsh to complete "${typed}" (${expect})`, () => expect.test(out.slice(from)), 15_000);
      };
      await attempt('devport re', /restart/);
      await attempt('devport up --d', /--daemon[\s\S]*--dry-run/);
      await attempt('devport logs ', /api\s+web_app/);
    } finally {
      z.kill();
    }
  });

  test('fish: the script parses, and `complete -C` completes verbs, flags and services with it', { skip: has('fish') ? false : 'fish is not installed' }, () => {
    assert.equal(spawnSync('fish', ['-n', script('fish')]).status, 0);
    const complete = (line: string, cwd = rig.dir) => {
      const r = spawnSync('fish', ['--no-config', '-c', `source ${shq(script('fish'))}; complete -C ${shq(line)}`], { cwd, env: { ...completionEnv(), HOME: rig.dir }, encoding: 'utf8', timeout: 15_000 });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    };
    assert.deepEqual(complete('devport re'), ['requests', 'restart']);
    assert.deepEqual(complete('devport up --d').sort(), ['--daemon', '--dashboard', '--dry-run']);
    assert.deepEqual(complete('devport completion ').sort(), ['bash', 'fish', 'zsh']);
    assert.deepEqual(complete('devport logs ', fakeStack()), ['api', 'web_app']);
  });
});
