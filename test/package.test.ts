// The package as a user gets it: packed, installed from the tarball with install
// scripts disabled and no compiler on PATH (so fs-ext's addon cannot build and
// the `flock` helper takes over), and the quickstart brought up and down with
// the installed bin from a directory outside the repository.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { processesWithMarker, REPO } from './rig.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'devport-pkg-'));
after(() => {
  // Whatever the test left (it should be nothing): the stack's processes carry its project dir.
  for (const p of processesWithMarker('none', path.join(work, 'app'))) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** A PATH with just what installing and running devport needs: no cc, no make, no python. */
function barePath(): string {
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  for (const tool of ['node', 'npm', 'sh', 'flock', 'env', 'uname', 'ls', 'cat', 'rm', 'mkdir', 'chmod', 'tar', 'gzip']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, path.join(bin, tool));
  }
  return bin;
}

describe('the package', () => {
  test('packs with its build, LICENSE, example spec and quickstart; installs without scripts or a compiler; runs the quickstart', { timeout: 240_000 }, () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string>; optionalDependencies?: Record<string, string>; dependencies: Record<string, string> };
    assert.equal(pkg.scripts.prepack, 'npm run build', 'npm pack builds dist/');
    assert.ok(pkg.optionalDependencies?.['fs-ext'], 'fs-ext is optional: the flock helper replaces it');
    assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['@lydell/node-pty', '@parcel/watcher'], 'only native addons are installed at run time; the rest is bundled');

    // dist/ is built by `npm test`'s pretest; packing must not rebuild it under the other tests' feet.
    const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' });
    assert.equal(packed.status, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const files = new Set((info?.files ?? []).map((f) => f.path));
    for (const f of ['dist/cli/devport.js', 'dist/cli/package.json', 'dist/cli/sidecar.cjs', 'dist/cli/verbs/up.js', 'dist/cli/lazy/watch.js', 'dist/web/dashboard.js', 'LICENSE', '.devport.example.toml', 'examples/quickstart/devport.toml', 'spec/devport.schema.json', 'README.md']) assert.ok(files.has(f), `${f} is in the package`);
    assert.ok(![...files].some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests');

    const prefix = path.join(work, 'prefix');
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: barePath(), npm_config_nodedir: '', NO_COLOR: '1' };
    delete env.TMUX;
    const install = spawnSync('npm', ['install', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', path.join(work, info?.filename ?? '')], { encoding: 'utf8', env, timeout: 180_000 });
    assert.equal(install.status, 0, install.stderr);

    const app = path.join(work, 'app');
    cpSync(path.join(prefix, 'node_modules', 'devport', 'examples', 'quickstart'), app, { recursive: true });
    const bin = path.join(prefix, 'node_modules', '.bin', 'devport');
    const run = (args: string[]) => spawnSync(bin, args, { cwd: app, encoding: 'utf8', env, timeout: 60_000 });
    const up = run(['up', '--daemon', '--no-tmux']);
    assert.equal(up.status, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /devport up: stack is healthy/);
    const lines = run(['ls']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; alive: boolean; supervisor: { lock: string } | null });
    assert.deepEqual(lines.map((l) => [l.key, l.alive]), [['seed', true], ['web', true], ['web_api', true], ['worker', true]]);
    assert.ok(lines.every((l) => l.supervisor?.lock === 'flock-helper'), 'without the addon, the util-linux flock helper holds the locks');
    const down = run(['down']);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stdout, /stopped 4 services/);
    assert.deepEqual(processesWithMarker('none', app), []);
  });
});
