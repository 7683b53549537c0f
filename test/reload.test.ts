// Hot reload with real files and real processes: an edit restarts the child;
// a burst is one reload; a touch, an ignored file, .git and node_modules are
// none; a build runs while the old child serves, a failed one keeps it; an edit
// during a build cancels it; reload_signal signals instead of restarting; a
// real compiled binary goes through `build`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { lsOf, Rig, waitFor, type LsEntry } from './rig.js';

let rig: Rig;
afterEach(async () => {
  const left = await rig.cleanup();
  assert.deepEqual(left, [], 'processes left behind');
});

const P = () => rig.path('p');
type Entry = LsEntry & { state: (LsEntry['state'] & { generation: number; reload?: { how: string; trigger: string[]; count: number } | null; build?: { ok: boolean | null; exit_code: number | null; tail: string } | null }) | null };
const entry = async (key: string) => (await lsOf(rig, P())).find((e) => e.key === key) as Entry | undefined;
const output = (key: string) => {
  const f = rig.path(`p/.devport/${key}/output.log`);
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
};
const get = async (port: number | null | undefined) => {
  const r = await fetch(`http://127.0.0.1:${port}/`);
  return { status: r.status, body: await r.text() };
};

const SERVER = (text: string) => `require('http').createServer((q, s) => s.end(${JSON.stringify(text)})).listen(process.env.PORT, '127.0.0.1');\n`;

async function up(): Promise<void> {
  const r = await rig.run(['up', '--daemon', '--no-tmux'], { cwd: P(), timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

/** The watcher has its snapshot: from now on a change is compared against what was there. */
const watching = (key: string) => waitFor(`${key} watching`, () => /\[devport\] watching \d+ files?/.test(output(key)));

/** A generation ≥ n that is healthy. */
const healthyAt = (key: string, n: number, timeoutMs = 10_000) =>
  waitFor(`${key} healthy at generation ${n}`, async () => {
    const e = await entry(key);
    return e?.state && e.state.generation >= n && e.state.state === 'healthy' ? e : undefined;
  }, timeoutMs);

/**
 * Nothing else reloaded: a sentinel edit must give exactly one more generation, whose trigger is
 * the sentinel alone. (How a test shows that something did *not* happen without sleeping.)
 */
async function onlySentinelReloads(key: string, generation: number, sentinel: string): Promise<void> {
  writeFileSync(rig.path(`p/${sentinel}`), `// ${Date.now()} ${Math.random()}\n`);
  const e = await waitFor('the sentinel reload', async () => {
    const x = await entry(key);
    return x?.state?.reload?.trigger.includes(sentinel) && x.state.state === 'healthy' ? x : undefined;
  });
  assert.equal(e.state?.generation, generation + 1, `one reload, for the sentinel only (trigger ${JSON.stringify(e.state?.reload)})`);
  assert.deepEqual(e.state?.reload?.trigger, [sentinel]);
}

describe('hot reload', () => {
  test('an edit restarts the child: a new pid, the same port, the new code', async () => {
    rig = new Rig('devport-reload-');
    rig.write('p/server.js', SERVER('v1'));
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ["node", "server.js"]\nwatch = ["*.js"]\n`);
    await up();
    await watching('api');
    const before = await entry('api');
    assert.equal((await get(before?.state?.port)).body, 'v1');
    rig.write('p/server.js', SERVER('v2'));
    const after = await healthyAt('api', 2);
    assert.notEqual(after.state?.pid, before?.state?.pid);
    assert.equal(after.state?.port, before?.state?.port);
    assert.equal((await get(after.state?.port)).body, 'v2');
    assert.deepEqual(after.state?.reload?.trigger, ['server.js']);
    assert.equal(after.state?.reload?.how, 'restart');
    await rig.run(['down'], { cwd: P() });
  });

  test('a burst of 1,000 files is one reload; a touch, watch_ignore, .git and node_modules are none', async () => {
    rig = new Rig('devport-reload-');
    rig.write('p/server.js', SERVER('ok'));
    rig.write('p/src/keep.js', '// kept\n');
    for (const d of ['.git', 'node_modules/dep', 'src/gen']) mkdirSync(rig.path(`p/${d}`), { recursive: true });
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ["node", "server.js"]\nwatch = ["**/*.js"]\nwatch_ignore = ["src/gen/**"]\n`);
    await up();
    await watching('api');
    // A checkout: 1,000 files written as fast as the disk takes them.
    for (let i = 0; i < 1000; i++) writeFileSync(rig.path(`p/src/f${i}.js`), `module.exports = ${i};\n`);
    const burst = await waitFor('the burst reload', async () => {
      const x = await entry('api');
      return x?.state?.reload && x.state.state === 'healthy' ? x : undefined;
    });
    assert.equal(burst.state?.reload?.count, 1000);
    assert.equal(burst.state?.reload?.trigger.length, 10, 'the first 10 paths');
    await onlySentinelReloads('api', burst.state?.generation ?? 0, 'sentinel1.js');
    // None of these reloads: the same bytes again, an ignored file, git's and dependencies' files.
    const g = (await entry('api'))?.state?.generation ?? 0;
    writeFileSync(rig.path('p/src/keep.js'), '// kept\n');
    spawnSync('touch', [rig.path('p/server.js')]);
    rig.write('p/src/gen/out.js', 'generated\n');
    rig.write('p/.git/hook.js', 'x\n');
    rig.write('p/node_modules/dep/index.js', 'x\n');
    await onlySentinelReloads('api', g, 'sentinel2.js');
    await rig.run(['down'], { cwd: P() });
  });

  test('a formatter writing files in many directories, 20 ms apart, is one reload', async () => {
    rig = new Rig('devport-reload-');
    rig.write('p/server.js', SERVER('ok'));
    const dirs = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const d of dirs) rig.write(`p/src/${d}/m.js`, '// v1\n');
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ["node", "server.js"]\nwatch = ["**/*.js"]\n`);
    await up();
    await watching('api');
    const g0 = (await entry('api'))?.state?.generation ?? 0;
    // Each gap is shorter than the debounce (50 ms), the whole run longer: one burst, not one per debounce.
    for (const d of dirs) {
      writeFileSync(rig.path(`p/src/${d}/m.js`), '// v2\n');
      await new Promise((r) => setTimeout(r, 20));
    }
    const first = await healthyAt('api', g0 + 1);
    assert.equal(first.state?.reload?.count, dirs.length, `one reload for all ${dirs.length} files: ${JSON.stringify(first.state?.reload)}`);
    await onlySentinelReloads('api', g0 + 1, 'sentinel.js');
    await rig.run(['down'], { cwd: P() });
  });

  test('a failed build keeps the old child serving through the proxy and is in ls; the next good build replaces it', async () => {
    rig = new Rig('devport-reload-');
    // The "build" copies src.js to server.js unless it has a syntax error.
    rig.write('p/build.js', `const src = require('fs').readFileSync('src.js', 'utf8'); if (src.includes('SYNTAX ERROR')) { console.error('src.js:1: SYNTAX ERROR here'); process.exit(2); } require('fs').writeFileSync('server.js', src);`);
    rig.write('p/src.js', SERVER('v1'));
    rig.write('p/devport.toml', `
[[service]]
type = "proxy"
name = "web"
  [[service.routes]]
  name = "api"
  path = "/"
  command = ["node", "server.js"]
  build = ["node", "build.js"]
  watch = ["src.js"]
`);
    await up();
    await watching('web_api');
    const web = await entry('web');
    const before = await entry('web_api');
    // The proxy answers 200 throughout: requests in a loop until the test is done.
    let stop = false;
    const statuses: number[] = [];
    const loop = (async () => {
      while (!stop) statuses.push((await get(web?.state?.port)).status);
    })();
    rig.write('p/src.js', `${SERVER('v2')}\n// SYNTAX ERROR`);
    const failed = await waitFor('the failed build in ls', async () => {
      const x = await entry('web_api');
      return x?.state?.build?.ok === false ? x : undefined;
    });
    assert.equal(failed.state?.build?.exit_code, 2);
    assert.match(failed.state?.build?.tail ?? '', /src\.js:1: SYNTAX ERROR here/);
    assert.equal(failed.state?.pid, before?.state?.pid, 'the old child keeps running');
    assert.equal(failed.state?.state, 'healthy');
    assert.equal((await get(web?.state?.port)).body, 'v1');
    rig.write('p/src.js', SERVER('v3'));
    const fixed = await waitFor('the good build replaces it', async () => {
      const x = await entry('web_api');
      return x?.state?.build?.ok === true && x.state.state === 'healthy' && x.state.generation === 2 ? x : undefined;
    });
    assert.notEqual(fixed.state?.pid, before?.state?.pid);
    assert.equal((await get(web?.state?.port)).body, 'v3');
    stop = true;
    await loop;
    assert.ok(statuses.length > 10, `${statuses.length} requests`);
    assert.deepEqual([...new Set(statuses)], [200], 'never anything but 200 through the reloads');
    await rig.run(['down'], { cwd: P() });
  });

  test('an edit during a slow build cancels it: one build finishes, one new generation', async () => {
    rig = new Rig('devport-reload-');
    // Each build says when it starts, takes its time, and says when it is done.
    rig.write('p/build.sh', `n=$(cat src.txt); echo "build $n started"; sleep 1.5; echo "build $n done" >> done.log\n`);
    rig.write('p/src.txt', '1');
    rig.write('p/server.js', SERVER('ok'));
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ["node", "server.js"]\nbuild = ["sh", "build.sh"]\nwatch = ["src.txt"]\n`);
    await up();
    await watching('api');
    rig.write('p/src.txt', '2');
    await waitFor('build 2 started', () => output('api').includes('build 2 started'));
    rig.write('p/src.txt', '3');
    const after = await healthyAt('api', 2, 15_000);
    assert.equal(readFileSync(rig.path('p/done.log'), 'utf8'), 'build 1 done\nbuild 3 done\n', 'build 2 was cancelled');
    assert.match(output('api'), /build cancelled: files changed again/);
    assert.equal(after.state?.generation, 2);
    assert.equal(after.state?.build?.ok, true);
    await rig.run(['down'], { cwd: P() });
  });

  test('reload_signal signals the running child: no new generation, reload.how = signal', async () => {
    rig = new Rig('devport-reload-');
    rig.write('p/app.conf', 'a\n');
    rig.write('p/devport.toml', `[[service]]\nname = "app"\ncommand = ["node", "-e", "process.on('SIGHUP', () => require('fs').appendFileSync('hup.log', 'reloaded\\\\n')); console.log('ready'); setInterval(() => {}, 1000)"]\nno_port = true\nwatch = ["app.conf"]\nreload_signal = "SIGHUP"\n`);
    await up();
    await watching('app');
    await waitFor('handler installed', () => output('app').includes('ready'));
    const before = await entry('app');
    rig.write('p/app.conf', 'b\n');
    await waitFor('SIGHUP delivered', () => existsSync(rig.path('p/hup.log')));
    const after = await waitFor('reload recorded', async () => {
      const x = await entry('app');
      return x?.state?.reload ? x : undefined;
    });
    assert.equal(after.state?.reload?.how, 'signal');
    assert.equal(after.state?.generation, before?.state?.generation);
    assert.equal(after.state?.pid, before?.state?.pid);
    assert.equal(readFileSync(rig.path('p/hup.log'), 'utf8'), 'reloaded\n');
    await rig.run(['down'], { cwd: P() });
  });

  test('a compiled service: build makes a real binary (executable: the user umask), an edit rebuilds and runs the new one', async () => {
    rig = new Rig('devport-reload-');
    const cc = ['cc', 'gcc'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
    const src = (text: string) => `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(getenv("PORT"))), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) return 1;
  for (;;) {
    int c = accept(s, 0, 0); char buf[4096]; read(c, buf, sizeof buf);
    const char *r = "HTTP/1.1 200 OK\\r\\nContent-Length: ${text.length}\\r\\nConnection: close\\r\\n\\r\\n${text}";
    write(c, r, strlen(r)); close(c);
  }
}
`;
    if (cc) {
      rig.write('p/server.c', src('c1'));
      rig.write('p/devport.toml', `[[service]]\nname = "bin"\ncommand = ["./tmp/server"]\nbuild = ["sh", "-c", "mkdir -p tmp && ${cc} -O0 -o tmp/server server.c"]\nwatch = ["*.c"]\n`);
    } else {
      // No compiler here: the build writes the program (a shell script) and marks it executable by the umask alone.
      rig.write('p/server.txt', 'c1');
      rig.write('p/devport.toml', `[[service]]\nname = "bin"\ncommand = ["./tmp/server"]\nbuild = ["sh", "-c", "mkdir -p tmp && printf '#!/bin/sh\\\\nexec node -e \\"require(\\\\\\\\"http\\\\\\\\").createServer((q, s) => s.end(\\\\\\\\"%s\\\\\\\\")).listen(process.env.PORT)\\"\\\\n' $(cat server.txt) > tmp/server && chmod +x tmp/server"]\nwatch = ["*.txt"]\n`);
    }
    await up();
    await watching('bin');
    const first = await entry('bin');
    assert.equal((await get(first?.state?.port)).body, 'c1');
    if (cc) rig.write('p/server.c', src('c2'));
    else rig.write('p/server.txt', 'c2');
    const second = await healthyAt('bin', 2, 20_000);
    assert.equal((await get(second.state?.port)).body, 'c2');
    assert.equal(second.state?.build?.ok, true);
    assert.ok(path.isAbsolute(P()));
    await rig.run(['down'], { cwd: P() });
  });

  test('the foreground up --json reports reload and build events', async () => {
    rig = new Rig('devport-reload-');
    rig.write('p/build.js', `const src = require('fs').readFileSync('src.js', 'utf8'); if (src.includes('BROKEN')) { console.error('broken!'); process.exit(3); } require('fs').writeFileSync('server.js', src);`);
    rig.write('p/src.js', SERVER('v1'));
    rig.write('p/devport.toml', `[[service]]\nname = "api"\ncommand = ["node", "server.js"]\nbuild = ["node", "build.js"]\nwatch = ["src.js"]\n`);
    const fg = rig.start(['up', '--json', '--no-tmux'], { cwd: P() });
    fg.stdin?.end();
    type Ev = { event: string; service?: string; ok?: boolean; exit_code?: number | null; tail?: string; how?: string; trigger?: string[] };
    const events = () => fg.output().stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Ev);
    await waitFor('ready', () => events().some((e) => e.event === 'ready'), 30_000);
    await watching('api');
    rig.write('p/src.js', `${SERVER('v2')}// BROKEN`);
    const failed = await waitFor('a failed build event', () => events().find((e) => e.event === 'build' && e.ok === false));
    assert.equal(failed.service, 'api');
    assert.equal(failed.exit_code, 3);
    assert.match(failed.tail ?? '', /broken!/);
    rig.write('p/src.js', SERVER('v3'));
    const reload = await waitFor('a reload event', () => events().find((e) => e.event === 'reload'));
    assert.deepEqual([reload.service, reload.how, reload.trigger], ['api', 'restart', ['src.js']]);
    assert.ok(events().some((e) => e.event === 'build' && e.ok === true));
    fg.kill('SIGINT');
    await new Promise((r) => fg.once('exit', r));
    assert.equal(events().at(-1)?.event, 'shutdown');
  });
});
