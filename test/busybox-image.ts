// The image the compose tests and bench/compose run: a static busybox and a
// page, imported offline (`docker import` of a rootfs tarball: there is no
// registry here). Tagged by a hash of the binary and the recipe.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A static busybox: the image's whole userland. */
export function staticBusybox(): string | undefined {
  for (const p of ['/bin/busybox', '/usr/bin/busybox', '/usr/lib/initramfs-tools/bin/busybox']) {
    try {
      const head = readFileSync(p).subarray(0, 8192).toString('latin1');
      if (head.startsWith('\x7fELF') && !head.includes('ld-linux') && !head.includes('ld-musl')) return p;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/** devport-test/busybox:<hash>, imported once from a rootfs tarball (no registry needed). */
export function ensureImage(): string {
  const bb = staticBusybox();
  if (!bb) throw new Error('no static busybox (apt-get install busybox-static)');
  const recipe = 'v1 sh httpd nc wget sleep cat echo ls date test /www/index.html';
  const tag = `devport-test/busybox:${createHash('sha1').update(readFileSync(bb)).update(recipe).digest('hex').slice(0, 12)}`;
  if (spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0) return tag;
  const root = mkdtempSync(path.join(os.tmpdir(), 'devport-rootfs-'));
  try {
    for (const d of ['bin', 'www', 'tmp']) mkdirSync(path.join(root, d));
    copyFileSync(bb, path.join(root, 'bin', 'busybox'));
    chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
    for (const l of ['sh', 'httpd', 'nc', 'wget', 'sleep', 'cat', 'echo', 'ls', 'date', 'test']) symlinkSync('busybox', path.join(root, 'bin', l));
    writeFileSync(path.join(root, 'www', 'index.html'), 'hello from the container\n');
    const tar = path.join(root, '..', `${path.basename(root)}.tar`);
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    execFileSync('docker', ['import', tar, tag], { stdio: 'ignore', timeout: 60_000 });
    rmSync(tar, { force: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return tag;
}
