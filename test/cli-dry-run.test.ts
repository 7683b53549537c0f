// `devport up --dry-run` and error output, through the built CLI.

import assert from 'node:assert/strict';
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
    const c = await rig.run(['up', '--dry-run', '--json', '-f', 'proj/devport.toml']);
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

  test('both -f and a positional spec that differ: FLAG_CONFLICT', async () => {
    const r = await rig.run(['up', '--dry-run', '-f', 'proj', 'bad']);
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
});
