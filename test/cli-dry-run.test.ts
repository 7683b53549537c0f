// `devport up --dry-run` and error output, through the built CLI.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { REPO, Rig } from './rig.js';
import { check } from './schema-lite.js';

const rig = new Rig();
after(async () => assert.deepEqual(await rig.cleanup(), []));

const SPEC = `
env_out = "devport.env"
[[service]]
name = "api"
command = ["node", "-e", "0", "\${PORT}"]
[[service]]
name = "web"
type = "proxy"
  [[service.routes]]
  name = "app"
  path = "/"
  command = ["node", "-e", "0"]
`;

describe('devport up --dry-run', () => {
  test('prints the plan, creates nothing, and gives the same ports twice', async () => {
    rig.write('proj/devport.toml', SPEC);
    rig.write('proj/sub/dir/.keep', '');
    // Found by walking up from a subdirectory.
    const a = await rig.run(['up', '--dry-run'], { cwd: rig.path('proj/sub/dir') });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /devport plan \(dry run: nothing was started\)/);
    assert.match(a.stdout, /web_app\s+exec \(route of web\)/);
    const b = await rig.run(['up', '--dry-run', '--json', 'proj'], {});
    assert.equal(b.code, 0, b.stderr);
    const lines = b.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one plan event');
    const ev = JSON.parse(lines[0] ?? '{}');
    assert.equal(ev.v, 1);
    assert.equal(ev.event, 'plan');
    assert.equal(ev.seq, 1);
    assert.deepEqual(check(JSON.parse(readFileSync(path.join(REPO, 'spec', 'events.schema.json'), 'utf8')), ev), []);
    const ports = Object.fromEntries(ev.services.map((s: { key: string; port: number }) => [s.key, s.port]));
    for (const [key, port] of Object.entries(ports)) assert.match(a.stdout, new RegExp(`${key}\\s.*${port}`));
    const c = await rig.run(['up', '--dry-run', '--json', '--file', 'proj/devport.toml']);
    assert.deepEqual(Object.fromEntries(JSON.parse(c.stdout).services.map((s: { key: string; port: number }) => [s.key, s.port])), ports);
    // Env values never appear: only names.
    assert.ok(!b.stdout.includes(process.env.PATH ?? 'x'), 'no env values in the plan event');
    assert.deepEqual(ev.services.find((s: { key: string }) => s.key === 'api').command, ['node', '-e', '0', String(ports.api)]);
    // The stack's <PREFIX>_PORT/_URL are listed once for the plan, not in every service's env_names.
    assert.deepEqual(ev.stack_env_names, ['API_PORT', 'API_URL', 'WEB_PORT', 'WEB_URL', 'WEB_APP_PORT', 'WEB_APP_URL']);
    assert.deepEqual(ev.services.find((s: { key: string }) => s.key === 'api').env_names, ['DEVPORT_ID', 'DEVPORT_KEY', 'DEVPORT_PROJECT_DIR', 'HOST', 'PORT']);
    // Nothing was created: no state dir, no env_out, no tmux server.
    assert.equal(rig.exists('proj/.devport'), false);
    assert.equal(rig.exists('proj/devport.env'), false);
    assert.deepEqual(readdirSync(rig.tmuxTmp), []);
  });

  test('five mistakes: five positioned errors with hints, exit 1, no stack trace', async () => {
    rig.write('bad/devport.toml', [
      '[[service]]',
      'name = "db"',
      'command = ["postgres"]',
      'stop_timeout = "5 sec"',
      '[[service]]',
      'name = "api"',
      'comand = ["node"]',
      'port = 0',
      'depends_on = ["dbb"]',
      'restart = "sometimes"',
      '',
    ].join('\n'));
    const r = await rig.run(['up', '--dry-run'], { cwd: rig.path('bad') });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const heads = r.stderr.split('\n').filter((l) => / error\[/.test(l));
    assert.deepEqual(heads.map((h) => h.split(' error')[0]), ['devport.toml:4:16', 'devport.toml:7:1', 'devport.toml:8:8', 'devport.toml:9:15', 'devport.toml:10:11']);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('hint: ')).length, 5);
    assert.match(r.stderr, /\n5 errors\n$/);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
    assert.equal(rig.exists('bad/.devport'), false);
  });

  test('--json errors are one object on stderr', async () => {
    const r = await rig.run(['up', '--dry-run', '--json'], { cwd: rig.path('bad') });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    const e = JSON.parse(lines[0] ?? '{}');
    assert.equal(e.code, 'SPEC_INVALID');
    assert.equal(e.errors.length, 5);
    assert.deepEqual(Object.keys(e.errors[0]).slice(0, 4), ['code', 'message', 'hint', 'docs']);
    assert.equal(e.errors[0].line, 4);
  });

  test('no spec anywhere: SPEC_NOT_FOUND with a hint', async () => {
    rig.write('empty/.keep', '');
    const r = await rig.run(['up', '--dry-run'], { cwd: rig.path('empty') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error\[SPEC_NOT_FOUND\]: no devport\.toml in .*empty or any parent directory\nhint: create a devport\.toml/);
  });

  test('both --file and a positional spec that differ: FLAG_CONFLICT', async () => {
    const r = await rig.run(['up', '--dry-run', '--file', 'proj', 'bad']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error\[FLAG_CONFLICT\]/);
  });

  test('an unknown flag is a usage error, exit 1', async () => {
    const r = await rig.run(['up', '--dryrun']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error\[USAGE\]: unknown option '--dryrun'/);
  });

  test('the quickstart example plans cleanly', async () => {
    const r = await rig.run(['up', '--dry-run', path.join(REPO, 'examples', 'quickstart')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /web_api/);
  });

  test('a FIFO as the spec is refused at once (open() used to hang), found or given with -f', async () => {
    rig.write('fifo/.keep', '');
    execFileSync('mkfifo', [rig.path('fifo/devport.toml')]);
    const file = rig.path('fifo/devport.toml');
    for (const r of [await rig.run(['up', '--dry-run'], { cwd: rig.path('fifo'), timeoutMs: 10_000 }), await rig.run(['up', '--dry-run', '--file', file], { timeoutMs: 10_000 })]) {
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error[SPEC_INVALID]: ${file} is a FIFO, not a regular file\nhint: the spec must be a regular file: pass the path of a devport.toml\n`);
    }
  });

  test('a spec nested 3000 deep is SPEC_INVALID "nested too deep", not a stack trace', async () => {
    rig.write('deep/devport.toml', `[[service]]\nname = "a"\ncommand = ["x"]\nenv = { A = ${'{ b = '.repeat(3000)}1${' }'.repeat(3000)} }\n`);
    const r = await rig.run(['up', '--dry-run'], { cwd: rig.path('deep') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^devport\.toml:4:\d+ error\[SPEC_INVALID\]: the spec is nested too deep: more than 32 levels/);
    assert.doesNotMatch(r.stderr, /RangeError|\bat .*\.js:\d+/);
  });

  test('duration flags: malformed values and values past 24h are usage errors', async () => {
    rig.write('flags/devport.toml', '[[service]]\nname = "t"\ntype = "task"\ncommand = ["node", "-e", "0"]\n');
    const cwd = rig.path('flags');
    const bad = await rig.run(['down', '--timeout', '5x'], { cwd });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error[USAGE]: --timeout 5x is not a duration\nhint: write --timeout 30s, --timeout 500ms or --timeout 1m\n');
    for (const value of ['48h', '99999999999', '99999999999h']) {
      const r = await rig.run(['down', '--timeout', value], { cwd });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error[USAGE]: --timeout ${value} is longer than the maximum of 24h\nhint: write at most --timeout 24h: longer waits overflow Node's timers (which then fire at once)\n`);
    }
    // --wait-timeout is read once the plan is made, before anything starts.
    for (const [value, message] of [['5x', 'is not a duration'], ['25h', 'is longer than the maximum of 24h']]) {
      const r = await rig.run(['up', '--no-tmux', '--wait-timeout', value ?? ''], { cwd });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^error\\[USAGE\\]: --wait-timeout ${value} ${message}\\n`));
      assert.equal(rig.exists('flags/.devport'), false);
    }
  });
});
