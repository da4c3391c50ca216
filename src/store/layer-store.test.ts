import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { dirname, join } from 'node:path';
import { readOciImage, type OciImage } from '../image/oci-layout.js';
import { writeOciLayout } from '../image/oci-layout-writer.js';
import { MEDIA_TYPE } from '../schema/media-types.js';
import { type Sandbox, extractLayer, makeSandbox, recordedLayers } from './layer-fixture.js';
import { ensureLayer } from './layer-store.js';
import { rejection } from '../errors/expect-rejection.js';

let sandbox: Sandbox;
before(() => {
  sandbox = makeSandbox();
});
after(() => sandbox.cleanup());

function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;
}

function getxattr(path: string, name: string): string | undefined {
  const script = 'import os,sys\ntry: sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())\nexcept OSError: sys.exit(3)';
  const result = spawnSync('python3', ['-c', script, path, name], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : undefined;
}

async function writeImage(layers: Parameters<typeof writeOciLayout>[0]['layers']): Promise<OciImage> {
  const dir = mkdtempSync(join(sandbox.base, 'layout-'));
  await writeOciLayout({ dir, tag: 't', layers, config: {} });
  return readOciImage(dir, 't');
}

function layerOptions(image: OciImage, index = 0) {
  const layer = image.layers[index];
  assert.ok(layer);
  return { dataDir: sandbox.dataDir, blobPath: image.blobPath(layer.digest), ...layer };
}

describe('ensureLayer', () => {
  it('extracts files, directories, links and FIFOs with their metadata', async () => {
    const longName = `deep/${'n'.repeat(120)}/${'m'.repeat(90)}.txt`;
    const result = await extractLayer(sandbox, [
      { path: './bin/', type: 'dir', mode: 0o755 },
      { path: './bin/su', type: 'file', mode: 0o4755, uid: 0, gid: 0, content: 'setuid' },
      { path: 'bin/sg', type: 'file', mode: 0o2755, uid: 1000, gid: 50, content: 'setgid' },
      { path: 'home/u/', type: 'dir', mode: 0o700, uid: 1000, gid: 1000 },
      { path: 'home/u/note', type: 'file', mode: 0o640, uid: 1000, gid: 1000, content: 'hi', xattrs: { 'user.tag': 'kept', 'trusted.evil': 'dropped', 'security.selinux': 'dropped' } },
      { path: 'bin/link', type: 'symlink', linkTarget: 'su' },
      { path: 'bin/hard', type: 'hardlink', linkTarget: 'bin/sg' },
      { path: 'run/fifo', type: 'fifo', mode: 0o620 },
      { path: longName, type: 'file', content: 'long' },
      // replacement inside one layer: file → directory, directory → file
      { path: 'x', type: 'file', content: 'was a file' },
      { path: 'x/', type: 'dir' },
      { path: 'x/y', type: 'file', content: 'under x' },
      { path: 'z/', type: 'dir' },
      { path: 'z/sub/', type: 'dir' },
      { path: 'z/a', type: 'file' },
      { path: 'z', type: 'file', content: 'now a file' },
    ]);
    assert.ok(result.ok, result.ok ? '' : result.error.message);
    const root = result.rootfs;
    assert.equal(statSync(join(root, 'bin/su')).mode & 0o7777, 0o4755);
    const sg = statSync(join(root, 'bin/sg'));
    assert.deepEqual([sg.mode & 0o7777, sg.uid, sg.gid], [0o2755, 1000, 50]);
    const home = statSync(join(root, 'home/u'));
    assert.deepEqual([home.mode & 0o7777, home.uid, home.gid, home.mtimeMs], [0o700, 1000, 1000, 1000]);
    assert.equal(statSync(join(root, 'home/u/note')).mtimeMs, 1000);
    assert.equal(readlinkSync(join(root, 'bin/link')), 'su');
    assert.equal(statSync(join(root, 'bin/hard')).ino, sg.ino);
    const fifo = lstatSync(join(root, 'run/fifo'));
    assert.ok(fifo.isFIFO());
    assert.equal(fifo.mode & 0o7777, 0o620);
    assert.equal(readFileSync(join(root, longName), 'utf8'), 'long');
    assert.equal(readFileSync(join(root, 'x/y'), 'utf8'), 'under x');
    assert.equal(readFileSync(join(root, 'z'), 'utf8'), 'now a file');
    if (hasCommand('python3')) {
      assert.equal(getxattr(join(root, 'home/u/note'), 'user.tag'), 'kept');
      assert.equal(getxattr(join(root, 'home/u/note'), 'trusted.evil'), undefined);
      assert.equal(getxattr(join(root, 'home/u/note'), 'security.selinux'), undefined);
    }
    const record = JSON.parse(readFileSync(join(dirname(root), 'layer.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(record.droppedXattrs, 2);
  });

  it('returns a present layer without reading its blob', async () => {
    const image = await writeImage([{ files: [{ path: 'f', type: 'file', content: 'present' }] }]);
    const first = await ensureLayer(layerOptions(image));
    rmSync(image.blobPath(image.layers[0]?.digest ?? ''));
    assert.equal(await ensureLayer(layerOptions(image)), first);
    assert.match(first, /\/cas\/layers\/sha256\/[0-9a-f]{64}\/rootfs$/);
  });

  it('extracts uncompressed layers', async () => {
    const image = await writeImage([{ files: [{ path: 'plain', type: 'file', content: 'tar' }], compression: 'none' }]);
    assert.equal(image.layers[0]?.mediaType, MEDIA_TYPE.ociLayerTar);
    assert.equal(readFileSync(join(await ensureLayer(layerOptions(image)), 'plain'), 'utf8'), 'tar');
  });

  it('refuses a blob whose digest does not match, and records nothing', async () => {
    const dataDir = mkdtempSync(join(sandbox.base, 'data-'));
    const image = await writeImage([{ files: [{ path: 'f', type: 'file', content: 'tampered' }] }]);
    const options = { ...layerOptions(image), dataDir };
    const blob = readFileSync(options.blobPath);
    blob.writeUInt8(blob.readUInt8(blob.length - 5) ^ 0xff, blob.length - 5); // the gzip trailer's length field: still a readable stream
    writeFileSync(options.blobPath, blob);
    const error = await rejection(ensureLayer(options));
    assert.equal(error.code, 'ERR_STORE_DIGEST_MISMATCH');
    assert.match(error.message, new RegExp(options.digest));
    assert.deepEqual(recordedLayers(dataDir), []);
  });

  it('refuses an uncompressed blob whose digest does not match', async () => {
    const dataDir = mkdtempSync(join(sandbox.base, 'data-'));
    const image = await writeImage([{ files: [{ path: 'f', type: 'file', content: 'original' }], compression: 'none' }]);
    const options = { ...layerOptions(image), dataDir };
    writeFileSync(options.blobPath, readFileSync(options.blobPath, 'latin1').replace('original', 'tampered'), 'latin1');
    assert.equal((await rejection(ensureLayer(options))).code, 'ERR_STORE_DIGEST_MISMATCH');
    assert.deepEqual(recordedLayers(dataDir), []);
  });

  it('refuses a blob larger than the manifest says', async () => {
    const dataDir = mkdtempSync(join(sandbox.base, 'data-'));
    const image = await writeImage([{ files: [{ path: 'f', type: 'file', content: 'grown' }] }]);
    const options = { ...layerOptions(image), dataDir };
    appendFileSync(options.blobPath, 'more');
    assert.equal((await rejection(ensureLayer(options))).code, 'ERR_STORE_BLOB_SIZE_MISMATCH');
    assert.deepEqual(recordedLayers(dataDir), []);
  });

  it('refuses a layer whose uncompressed digest is not the diff_id, and records nothing', async () => {
    const dataDir = mkdtempSync(join(sandbox.base, 'data-'));
    const image = await writeImage([{ files: [{ path: 'f', type: 'file', content: 'diff' }] }]);
    const options = { ...layerOptions(image), dataDir, diffId: `sha256:${'0'.repeat(64)}` };
    const error = await rejection(ensureLayer(options));
    assert.equal(error.code, 'ERR_STORE_DIGEST_MISMATCH');
    assert.match(error.message, /uncompressed layer/);
    assert.deepEqual(recordedLayers(dataDir), []);
  });

  it('refuses digests that are not digests before using them as paths', async () => {
    const image = await writeImage([{ files: [{ path: 'f', type: 'file' }] }]);
    const error = await rejection(ensureLayer({ ...layerOptions(image), diffId: 'sha256:../../../../etc' }));
    assert.equal(error.code, 'ERR_IMAGE_DIGEST_INVALID');
  });

  it('extracts zstd layers (tar+zstd) made by the zstd tool', async () => {
    const image = await writeImage([{ files: [{ path: 'z/file', type: 'file', content: 'zstd content' }], compression: 'zstd' }]);
    assert.equal(image.layers[0]?.mediaType, MEDIA_TYPE.ociLayerZstd);
    const rootfs = await ensureLayer({ ...layerOptions(image), dataDir: mkdtempSync(join(sandbox.base, 'z-')) });
    assert.equal(readFileSync(join(rootfs, 'z', 'file'), 'utf8'), 'zstd content');
  });

  it('refuses a zstd blob that is not zstd, and records nothing', async () => {
    const dataDir = mkdtempSync(join(sandbox.base, 'z-'));
    const image = await writeImage([{ files: [{ path: 'f', type: 'file', content: 'plain' }], compression: 'none' }]);
    // a plain tar labelled zstd: the blob digest is right, the decompressor refuses it
    const error = await rejection(ensureLayer({ ...layerOptions(image), dataDir, mediaType: MEDIA_TYPE.ociLayerZstd }));
    assert.equal(error.code, 'ERR_STORE_LAYER_CORRUPT');
    assert.match(error.message, /zstd/);
    assert.deepEqual(recordedLayers(dataDir), []);
  });

  it('extracts a layer once when asked concurrently', async () => {
    const dataDir = mkdtempSync(join(sandbox.base, 'data-'));
    const image = await writeImage([{ files: [{ path: 'f', type: 'file', content: 'once' }] }]);
    const paths = await Promise.all([1, 2, 3, 4].map(() => ensureLayer({ ...layerOptions(image), dataDir })));
    assert.equal(new Set(paths).size, 1);
    assert.equal(recordedLayers(dataDir).length, 1);
  });

  it('keeps binary security.capability values exactly (GNU tar layer, CAP_SETUID holds byte 0x80)', { skip: !hasCommand('setcap') || !hasCommand('getcap') }, async () => {
    const work = mkdtempSync(join(sandbox.base, 'gnutar-'));
    mkdirSync(join(work, 'root', 'bin'), { recursive: true });
    writeFileSync(join(work, 'root', 'bin', 'ping'), 'binary');
    chmodSync(join(work, 'root', 'bin', 'ping'), 0o755);
    execFileSync('setcap', ['cap_setuid,cap_net_raw+ep', join(work, 'root', 'bin', 'ping')]);
    const tar = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', join(work, 'root'), '-cf', '-', '.']);
    const result = await extractLayer(sandbox, { tar });
    assert.ok(result.ok, result.ok ? '' : result.error.message);
    const caps = execFileSync('getcap', [join(result.rootfs, 'bin', 'ping')], { encoding: 'utf8' });
    assert.match(caps, /cap_setuid,cap_net_raw[=+]ep/);
  });

  it('writes whiteouts and opaque markers that overlayfs honours', { skip: !hasCommand('unshare') }, async () => {
    const lower = await extractLayer(sandbox, [
      { path: 'gone', type: 'file', content: 'deleted above' },
      { path: 'kept', type: 'file', content: 'still here' },
      { path: 'd/old', type: 'file', content: 'hidden by opaque' },
    ]);
    const upper = await extractLayer(sandbox, [
      { path: '.wh.gone', type: 'file' },
      { path: 'd/.wh..wh..opq', type: 'file' },
      { path: 'd/new', type: 'file', content: 'new' },
      { path: '.wh..wh.plnk/', type: 'dir' }, // aufs bookkeeping: skipped
    ]);
    assert.ok(lower.ok && upper.ok);
    assert.ok(lstatSync(join(upper.rootfs, 'gone')).isCharacterDevice());
    assert.deepEqual(readdirSync(upper.rootfs).sort(), ['d', 'gone']);
    const merged = mkdtempSync(join(sandbox.base, 'merged-'));
    const listing = execFileSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t overlay overlay -o "lowerdir=$1:$2" "$3" && cd "$3" && find . | sort`, 'sh', upper.rootfs, lower.rootfs, merged],
      { encoding: 'utf8' },
    );
    assert.deepEqual(listing.trim().split('\n'), ['.', './d', './d/new', './kept']);
  });
});
