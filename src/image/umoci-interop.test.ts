/**
 * Interoperability with umoci, an independent OCI layout implementation: it must read layouts rkt
 * writes, and rkt must read (and extract) layouts umoci writes, including a busybox image built with
 * the unpack → copy → repack flow.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureLayer } from '../store/layer-store.js';
import { readOciImage } from './oci-layout.js';
import { writeOciLayout } from './oci-layout-writer.js';

const BUSYBOX = '/usr/bin/busybox';
const haveUmoci = spawnSync('umoci', ['--version'], { stdio: 'ignore' }).status === 0;
const base = mkdtempSync(join(tmpdir(), 'rkt-umoci-'));
after(() => rmSync(base, { recursive: true, force: true }));

function umoci(...args: string[]): string {
  return execFileSync('umoci', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('umoci interoperability', { skip: !haveUmoci && 'umoci is not installed' }, () => {
  it('umoci lists and unpacks a layout rkt wrote', async () => {
    const dir = join(base, 'ours');
    await writeOciLayout({
      dir,
      tag: 'latest',
      layers: [
        { files: [{ path: 'etc/', type: 'dir' }, { path: 'etc/motd', type: 'file', content: 'hi\n' }] },
        { files: [{ path: 'bin/', type: 'dir' }, { path: 'bin/link', type: 'symlink', linkTarget: '/etc/motd' }], compression: 'none' },
      ],
      config: { Cmd: ['/bin/true'] },
    });
    assert.equal(umoci('ls', '--layout', dir).trim(), 'latest');
    const bundle = join(base, 'ours-bundle');
    umoci('unpack', '--image', `${dir}:latest`, bundle);
    assert.equal(readFileSync(join(bundle, 'rootfs', 'etc', 'motd'), 'utf8'), 'hi\n');
    assert.equal(readlinkSync(join(bundle, 'rootfs', 'bin', 'link')), '/etc/motd');
  });

  it('reads an empty image umoci made', async () => {
    const dir = join(base, 'empty');
    umoci('init', '--layout', dir);
    umoci('new', '--image', `${dir}:t`);
    const image = await readOciImage(dir, 't');
    assert.equal(image.layers.length, 0);
  });

  it('reads and extracts a busybox image made with umoci unpack/repack', { skip: !lstatSafe(BUSYBOX) && 'busybox is not installed' }, async () => {
    const dir = join(base, 'busybox');
    const bundle = join(base, 'busybox-bundle');
    umoci('init', '--layout', dir);
    umoci('new', '--image', `${dir}:bb`);
    umoci('unpack', '--image', `${dir}:bb`, bundle);
    mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(bundle, 'rootfs', 'bin', 'busybox'));
    // `busybox --list` includes busybox itself; linking it would replace the binary.
    for (const applet of ['sh', 'ls', 'cat']) symlinkSync('busybox', join(bundle, 'rootfs', 'bin', applet));
    umoci('repack', '--image', `${dir}:bb`, bundle);
    umoci('config', '--image', `${dir}:bb`, '--config.cmd', '/bin/sh', '--config.user', '0:0');

    const image = await readOciImage(dir, 'bb');
    assert.deepEqual(image.config.config?.Cmd, ['/bin/sh']);
    assert.equal(image.layers.length, 1);
    const dataDir = join(base, 'busybox-data');
    const [rootfs] = await Promise.all(image.layers.map((layer) => ensureLayer({ dataDir, blobPath: image.blobPath(layer.digest), ...layer })));
    assert.ok(rootfs);
    assert.equal(sha256(join(rootfs, 'bin', 'busybox')), sha256(BUSYBOX));
    assert.equal(statSync(join(rootfs, 'bin', 'busybox')).mode & 0o777, statSync(BUSYBOX).mode & 0o777);
    assert.equal(readlinkSync(join(rootfs, 'bin', 'sh')), 'busybox');
  });
});

function lstatSafe(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
