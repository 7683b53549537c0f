// The exact text of every validation message: these are what users read.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { renderFailuresHuman } from '../src/errors/render.js';
import { loadSpec, loadSpecText } from '../src/spec/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'devport-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'devport.toml');

/** Each failure as [first line, hint line]. */
function errors(text: string): [string, string][] {
  const r = loadSpecText(file, text);
  if (r.ok) return [];
  const rendered = renderFailuresHuman(r.failures, { color: false, cwd: dir });
  return rendered
    .trimEnd()
    .split('\n\n')
    .filter((b) => !/^\d+ errors$/.test(b))
    .map((block) => {
      const lines = block.split('\n');
      return [lines[0] ?? '', lines.find((l) => l.startsWith('hint: ')) ?? ''];
    });
}

function one(text: string): [string, string] {
  const e = errors(text);
  assert.equal(e.length, 1, `expected one error, got:\n${e.map((x) => x.join('\n')).join('\n')}`);
  return e[0] ?? ['', ''];
}

const svc = (body: string) => `[[service]]\nname = "api"\n${body}\n`;

describe('spec validation messages', () => {
  test('a valid spec has no errors', () => {
    assert.deepEqual(errors(svc('command = ["node", "server.js"]')), []);
  });

  test('TOML syntax error: line and column from the parser', () => {
    assert.deepEqual(one('[[service]]\nname = "api"\ncommand = ["node", "server.js"\nport = 3000\n'), [
      'devport.toml:4:1 error[SPEC_INVALID]: invalid TOML: expected comma or end of structure',
      'hint: check the TOML syntax at the caret: strings need quotes, lists look like ["a", "b"] (https://toml.io)',
    ]);
  });

  test('unknown key with a did-you-mean, and no second "missing" error', () => {
    assert.deepEqual(one(svc('comand = ["node", "server.js"]')), [
      'devport.toml:3:1 error[SPEC_INVALID]: unknown key "comand" in [[service]] "api"',
      'hint: did you mean "command"?',
    ]);
  });

  test('unknown key with nothing close lists the allowed keys', () => {
    const [head, hint] = one('colour = "red"\n');
    assert.equal(head, 'devport.toml:1:1 error[SPEC_INVALID]: unknown key "colour" at the top level');
    assert.equal(hint, 'hint: allowed keys here: tmux_session, host, port_range, env_file, env_out, dashboard, env, service, isolation');
  });

  test('a key of another service type says which type takes it', () => {
    assert.deepEqual(one(svc('command = ["x"]\nroutes = []')), [
      'devport.toml:4:1 error[SPEC_INVALID]: unknown key "routes" in [[service]] "api"',
      'hint: "routes" belongs to "proxy" entries: add type = "proxy"',
    ]);
  });

  test('unknown key in a nested table names the table', () => {
    assert.deepEqual(one(svc('command = ["x"]\n[service.health]\ntype = "http"\npth = "/healthz"')), [
      'devport.toml:6:1 error[SPEC_INVALID]: unknown key "pth" in [service.health] of "api"',
      'hint: did you mean "path"?',
    ]);
  });

  test('wrong type: a string where a list of strings is expected', () => {
    assert.deepEqual(one(svc('command = "npm run dev"')), [
      'devport.toml:3:11 error[SPEC_INVALID]: wrong type for "command" in [[service]] "api": expected a list of strings, got a string',
      'hint: write it as a list: command = ["npm", "run", "dev"]',
    ]);
  });

  test('wrong type: a quoted port', () => {
    assert.deepEqual(one(svc('command = ["x"]\nport = "3000"')), [
      'devport.toml:4:8 error[SPEC_INVALID]: wrong type for "port" in [[service]] "api": expected a port number (1-65535), got a string',
      'hint: drop the quotes: port = 3000',
    ]);
  });

  test('bad duration with the accepted forms', () => {
    assert.deepEqual(one(svc('command = ["x"]\nstop_timeout = "5 sec"')), [
      'devport.toml:4:16 error[SPEC_INVALID]: invalid duration "5 sec" for "stop_timeout" in [[service]] "api"',
      'hint: did you mean "5s"? durations are written "250ms", "5s", "1m", "1m30s"',
    ]);
    assert.deepEqual(one(svc('command = ["x"]\nstop_timeout = "soon"')), [
      'devport.toml:4:16 error[SPEC_INVALID]: invalid duration "soon" for "stop_timeout" in [[service]] "api"',
      'hint: durations are a number and a unit (ms, s, m, h): "250ms", "5s", "1m", "1m30s"',
    ]);
    assert.deepEqual(one(svc('command = ["x"]\n[service.health]\ninterval = 200')), [
      'devport.toml:5:12 error[SPEC_INVALID]: wrong type for "interval" in [service.health] of "api": expected a duration like "5s", got an integer',
      'hint: durations are strings with a unit: interval = "200ms" or "200s"',
    ]);
  });

  test('bad port', () => {
    assert.deepEqual(one(svc('command = ["x"]\nport = 70000')), [
      'devport.toml:4:8 error[SPEC_INVALID]: invalid port 70000 for "port" in [[service]] "api": expected an integer from 1 to 65535',
      'hint: ports are 1-65535; omit `port` to have one allocated',
    ]);
  });

  test('bad enum value with a suggestion', () => {
    assert.deepEqual(one(svc('command = ["x"]\nrestart = "on_failure"')), [
      'devport.toml:4:11 error[SPEC_INVALID]: invalid value "on_failure" for "restart" in [[service]] "api": expected one of "never", "on-failure", "always"',
      'hint: did you mean "on-failure"?',
    ]);
  });

  test('missing required key', () => {
    assert.deepEqual(one('[[service]]\nname = "api"\n'), [
      'devport.toml:1:1 error[SPEC_INVALID]: missing key "command" in [[service]] "api"',
      'hint: add command = ["node", "server.js"]',
    ]);
  });

  test('duplicate names', () => {
    assert.deepEqual(one(`${svc('command = ["a"]')}${svc('command = ["b"]')}`), [
      'devport.toml:5:8 error[SPEC_INVALID]: duplicate service name "api"',
      'hint: "api" is first defined on line 2; names must be unique',
    ]);
  });

  test('duplicate keys from different names', () => {
    const text = '[[service]]\nname = "web-api"\ncommand = ["a"]\n[[service]]\nname = "web"\ntype = "proxy"\n[[service.routes]]\nname = "api"\npath = "/api/"\ncommand = ["b"]\n';
    assert.deepEqual(one(text), [
      'devport.toml:8:8 error[SPEC_INVALID]: key "web_api" of "api" collides with "web-api" (line 2)',
      'hint: rename one of them: a key is the name upper-cased for env, lower-cased for .devport/, with non-alphanumerics as "_"',
    ]);
  });

  test('port with no_port', () => {
    assert.deepEqual(one(svc('command = ["x"]\nport = 3000\nno_port = true')), [
      'devport.toml:4:8 error[SPEC_INVALID]: "port" and "no_port = true" contradict each other in "api"',
      'hint: remove one: `port = N` fixes the port, `no_port = true` gives none',
    ]);
  });

  test('depends_on an unknown service, with a did-you-mean', () => {
    const text = '[[service]]\nname = "db"\ncommand = ["a"]\n' + svc('command = ["b"]\ndepends_on = ["dbb"]');
    assert.deepEqual(one(text), [
      'devport.toml:7:15 error[SPEC_INVALID]: "api" depends on unknown service "dbb"',
      'hint: did you mean "db"?',
    ]);
  });

  test('depends_on in the table form points at the name', () => {
    const text = '[[service]]\nname = "db"\ncommand = ["a"]\n' + svc('command = ["b"]\ndepends_on = { dbx = "healthy" }');
    assert.deepEqual(one(text), [
      'devport.toml:7:16 error[SPEC_INVALID]: "api" depends on unknown service "dbx"',
      'hint: did you mean "db"?',
    ]);
  });

  test('a dependency cycle prints the whole cycle', () => {
    const text = [
      '[[service]]\nname = "a"\ncommand = ["a"]\ndepends_on = ["b"]',
      '[[service]]\nname = "b"\ncommand = ["b"]\ndepends_on = ["c"]',
      '[[service]]\nname = "c"\ncommand = ["c"]\ndepends_on = ["a"]',
    ].join('\n');
    assert.deepEqual(one(text), [
      'devport.toml:12:15 error[SPEC_INVALID]: dependency cycle: a → b → c → a',
      'hint: remove one of these depends_on entries',
    ]);
  });

  test('waiting for a task to be healthy, or a service to complete', () => {
    const text = '[[service]]\nname = "seed"\ntype = "task"\ncommand = ["a"]\n' + svc('command = ["b"]\ndepends_on = { seed = "healthy" }');
    assert.deepEqual(one(text), [
      'devport.toml:8:23 error[SPEC_INVALID]: "api" waits for task "seed" to be healthy, but tasks complete',
      'hint: write { seed = "completed" }',
    ]);
  });

  const proxy = (routes: string) => `[[service]]\nname = "web"\ntype = "proxy"\n${routes}`;

  test('a route path must start with "/"', () => {
    assert.deepEqual(one(proxy('[[service.routes]]\nname = "api"\npath = "api/"\ncommand = ["x"]\n')), [
      'devport.toml:6:8 error[SPEC_INVALID]: route path "api/" must start with "/"',
      'hint: write path = "/api/"',
    ]);
  });

  test('a static root that does not exist', () => {
    assert.deepEqual(one(proxy('[[service.routes]]\nname = "docs"\npath = "/docs/"\ntype = "static"\nroot = "./docs/dist"\n')), [
      `devport.toml:8:8 error[SPEC_INVALID]: static root "./docs/dist" of route "docs" does not exist (${path.join(dir, 'docs/dist')})`,
      'hint: create or build that directory first, or fix `root` (it is relative to the spec)',
    ]);
    mkdirSync(path.join(dir, 'docs', 'dist'), { recursive: true });
    assert.deepEqual(errors(proxy('[[service.routes]]\nname = "docs"\npath = "/docs/"\ntype = "static"\nroot = "./docs/dist"\n')), []);
  });

  test('an http route without url', () => {
    assert.deepEqual(one(proxy('[[service.routes]]\nname = "legacy"\npath = "/legacy/"\ntype = "http"\n')), [
      'devport.toml:4:1 error[SPEC_INVALID]: missing key "url" in [[service.routes]] "legacy" of "web"',
      'hint: add url = "http://127.0.0.1:9000"',
    ]);
  });

  test('an exec route without a name', () => {
    assert.deepEqual(one(proxy('[[service.routes]]\npath = "/api/"\ncommand = ["x"]\n')), [
      'devport.toml:4:1 error[SPEC_INVALID]: missing key "name" in [[service.routes]] #1 of "web"',
      'hint: add name = "api"',
    ]);
  });

  test('setting a reserved env name', () => {
    assert.deepEqual(one(svc('command = ["x"]\nenv = { PORT = "80" }')), [
      'devport.toml:4:9 error[SPEC_INVALID]: "PORT" in env of "api" is reserved: devport sets it',
      'hint: devport sets PORT, HOST, DEVPORT_* and <SERVICE>_PORT / <SERVICE>_URL itself; use another name',
    ]);
  });

  test('five different mistakes give five positioned errors, in file order', () => {
    const text = [
      '[[service]]',
      'name = "db"',
      'command = ["postgres"]',
      'stop_timeout = "5 sec"',
      '',
      '[[service]]',
      'name = "api"',
      'comand = ["node", "server.js"]',
      'port = 70000',
      'depends_on = ["dbb"]',
      '',
      '[[service]]',
      'name = "web"',
      'type = "proxy"',
      '  [[service.routes]]',
      '  name = "legacy"',
      '  path = "legacy/"',
      '  type = "http"',
      '',
    ].join('\n');
    const e = errors(text).map(([head]) => head);
    assert.deepEqual(e, [
      'devport.toml:4:16 error[SPEC_INVALID]: invalid duration "5 sec" for "stop_timeout" in [[service]] "db"',
      'devport.toml:8:1 error[SPEC_INVALID]: unknown key "comand" in [[service]] "api"',
      'devport.toml:9:8 error[SPEC_INVALID]: invalid port 70000 for "port" in [[service]] "api": expected an integer from 1 to 65535',
      'devport.toml:10:15 error[SPEC_INVALID]: "api" depends on unknown service "dbb"',
      'devport.toml:15:3 error[SPEC_INVALID]: missing key "url" in [[service.routes]] "legacy" of "web"',
      'devport.toml:17:10 error[SPEC_INVALID]: route path "legacy/" must start with "/"',
    ]);
  });

  test('the caret frame shows the line and underlines the value', () => {
    const r = loadSpecText(file, svc('command = ["x"]\nport = 70000'));
    assert.ok(!r.ok);
    const text = renderFailuresHuman(r.failures, { color: false, cwd: dir });
    assert.equal(
      text.split('\n').slice(0, 4).join('\n'),
      [
        'devport.toml:4:8 error[SPEC_INVALID]: invalid port 70000 for "port" in [[service]] "api": expected an integer from 1 to 65535',
        '  |',
        '4 | port = 70000',
        '  |        ^^^^^',
      ].join('\n'),
    );
  });
});

describe('spec hardening: reserved names, limits, unsafe input', () => {
  test('a service whose key is reserved (.devport/isolation/) is an error at its name', () => {
    assert.deepEqual(one('[[service]]\nname = "isolation"\ncommand = ["x"]\n'), [
      'devport.toml:2:8 error[SPEC_INVALID]: service name "isolation" is reserved: devport keeps its own .devport/isolation/',
      'hint: choose another name; devport reserves "capture", "compose", "isolation", "runtime"',
    ]);
    // The key is what collides: "Runtime" is keyed "runtime".
    assert.equal(one('[[service]]\nname = "Runtime"\ncommand = ["x"]\n')[0], 'devport.toml:2:8 error[SPEC_INVALID]: service name "Runtime" (key "runtime") is reserved: devport keeps its own .devport/runtime/');
  });

  test('an exec route whose key is reserved is an error at its name; under a named proxy it is prefixed and fine', () => {
    const route = (proxyName: string) => `[[service]]\ntype = "proxy"\n${proxyName}  [[service.routes]]\n  name = "compose"\n  path = "/"\n  command = ["x"]\n`;
    assert.deepEqual(one(route('')), [
      'devport.toml:4:10 error[SPEC_INVALID]: route name "compose" is reserved: devport keeps its own .devport/compose/',
      'hint: choose another name; devport reserves "capture", "compose", "isolation", "runtime"',
    ]);
    assert.deepEqual(errors(route('name = "web"\n')), []);
  });

  test('inline tables nested 3000 deep: "nested too deep" at the 33rd level, no stack overflow', () => {
    assert.deepEqual(one(`[env]\nA = ${'{ b = '.repeat(3000)}1${' }'.repeat(3000)}\n`), [
      'devport.toml:2:197 error[SPEC_INVALID]: the spec is nested too deep: more than 32 levels of tables, lists and dotted keys',
      'hint: a devport.toml needs a few levels (service → routes → health); flatten this value',
    ]);
  });

  test('arrays nested 100 000 deep: "nested too deep", positioned', () => {
    const [head] = one(`command = ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    assert.equal(head, 'devport.toml:1:43 error[SPEC_INVALID]: the spec is nested too deep: more than 32 levels of tables, lists and dotted keys');
  });

  test('a dotted key or table header of 100 000 segments: "nested too deep" in linear time', () => {
    const deep = Array(100_000).fill('a').join('.');
    const t0 = Date.now();
    assert.equal(one(`${deep} = 1\n`)[0], 'devport.toml:1:1 error[SPEC_INVALID]: the spec is nested too deep: more than 32 levels of tables, lists and dotted keys');
    assert.equal(one(`x = 1\n[${deep}]\ny = [[[1]]]\n`)[0], 'devport.toml:2:1 error[SPEC_INVALID]: the spec is nested too deep: more than 32 levels of tables, lists and dotted keys');
    // The position index was quadratic in the segments: 32 000 took a minute.
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    // 32 levels are fine (as far as nesting goes: the key is unknown).
    assert.match(one(`${Array(32).fill('a').join('.')} = 1\n`)[0], /unknown key "a" at the top level/);
  });

  test('a duration past 24h is an error naming the maximum; 24h itself is fine', () => {
    assert.deepEqual(one(svc('command = ["x"]\nstop_timeout = "99999999999h"')), [
      'devport.toml:4:16 error[SPEC_INVALID]: duration "99999999999h" for "stop_timeout" in [[service]] "api" is longer than the maximum of 24h',
      'hint: write at most "24h": longer waits overflow Node\'s timers (which then fire at once)',
    ]);
    assert.equal(
      one(svc('command = ["x"]\n[service.health]\ntimeout = "24h1ms"'))[0],
      'devport.toml:5:11 error[SPEC_INVALID]: duration "24h1ms" for "timeout" in [service.health] of "api" is longer than the maximum of 24h',
    );
    assert.equal(one(`[[service]]\ntype = "proxy"\nhold_timeout = "${'9'.repeat(400)}s"\nroutes = []\n`)[0].split(' for ')[1], '"hold_timeout" in [[service]] #1 is longer than the maximum of 24h');
    assert.deepEqual(errors(svc('command = ["x"]\nstop_timeout = "24h"\n[service.health]\ninterval = "1439m60s"')), []);
  });

  test('more than 2000 services and routes: one error at the 2001st, before anything else is checked', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `[[service]]\nname = "s${i}"\ncommand = ["x"]\n`).join('');
    assert.deepEqual(errors(many(2000)), []);
    assert.deepEqual(one(`${many(1950)}[[service]]\ntype = "proxy"\n${'[[service.routes]]\npath = "/"\ntype = "static"\nroot = "."\n'.repeat(100)}`), [
      'devport.toml:6049:1 error[SPEC_INVALID]: the spec has 2051 services and routes: at most 2000 are allowed',
      'hint: each service is a sidecar process and a tmux window; split the stack into several devport.toml files of at most 2000 services and routes',
    ]);
    const t0 = Date.now();
    assert.match(one(many(20_000) + 'oops = 1\n')[0], /^devport\.toml:6001:1 error\[SPEC_INVALID\]: the spec has 20000 services and routes: at most 2000 are allowed$/);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  test('the spec is read safely: a FIFO is refused without hanging, a huge file is refused, a missing one is not found', () => {
    const fifo = path.join(dir, 'fifo.toml');
    execFileSync('mkfifo', [fifo]);
    const r = loadSpec(fifo);
    assert.ok(!r.ok);
    assert.deepEqual(r.failures.map((f) => [f.code, f.message, f.hint]), [
      ['SPEC_INVALID', `${fifo} is a FIFO, not a regular file`, 'the spec must be a regular file: pass the path of a devport.toml'],
    ]);
    const big = path.join(dir, 'big.toml');
    writeFileSync(big, `# ${'x'.repeat(1024 * 1024)}\n`);
    const b = loadSpec(big);
    assert.ok(!b.ok);
    assert.deepEqual(b.failures.map((f) => [f.code, f.message]), [['SPEC_INVALID', `${big} is 1048579 bytes (at most 1048576 are read)`]]);
    const gone = loadSpec(path.join(dir, 'nope.toml'));
    assert.ok(!gone.ok);
    assert.deepEqual(gone.failures.map((f) => [f.code, f.message]), [['SPEC_NOT_FOUND', `${path.join(dir, 'nope.toml')} does not exist`]]);
  });
});
