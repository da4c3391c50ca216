/**
 * The layer-extraction class of docs/hostile-input: each layer below tries to reach the canary
 * directory outside the layer. extractLayer() asserts the canary is unchanged every time; each test
 * then says whether the layer must fail or what it must contain.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { dirname, join } from 'node:path';
import type { LayerEntry } from '../image/pack-layer-tar.js';
import { type ExtractResult, type Sandbox, extractLayer, makeSandbox } from './layer-fixture.js';

let sandbox: Sandbox;
before(() => {
  sandbox = makeSandbox();
});
after(() => sandbox.cleanup());

/** The canary's absolute host path as a tar name, and the directory entries that recreate it in a layer. */
function canaryName(): string {
  return sandbox.canary.slice(1);
}
function canaryDirsInLayer(): LayerEntry[] {
  const parts = canaryName().split('/');
  return parts.map((_, i) => ({ path: `${parts.slice(0, i + 1).join('/')}/`, type: 'dir' as const }));
}

function rootfsOf(result: ExtractResult): string {
  if (!result.ok) throw result.error;
  return result.rootfs;
}

function assertFailed(result: ExtractResult, entryPart: string): void {
  assert.equal(result.ok, false, 'the layer should have been refused');
  if (result.ok) return;
  assert.equal(result.error.code, 'ERR_STORE_LAYER_EXTRACT');
  assert.match(result.error.message, new RegExp(entryPart.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
}

describe('hostile layer extraction', () => {
  it('refuses ../ names, naming the entry', async () => {
    const name = `${'../'.repeat(20)}${canaryName()}/passwd`;
    assertFailed(await extractLayer(sandbox, [{ path: name, type: 'file', content: 'pwned' }]), 'contains a ".." component');
  });

  it('re-roots absolute names inside the layer', async () => {
    const rootfs = rootfsOf(await extractLayer(sandbox, [{ path: `/${canaryName()}/passwd`, type: 'file', content: 'pwned' }]));
    assert.equal(readFileSync(join(rootfs, canaryName(), 'passwd'), 'utf8'), 'pwned');
  });

  it('writes through an absolute symlink into the layer, not the host', async () => {
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [
        ...canaryDirsInLayer(),
        { path: 'a', type: 'symlink', linkTarget: sandbox.canary },
        { path: 'a/passwd', type: 'file', content: 'pwned' },
      ]),
    );
    assert.equal(readFileSync(join(rootfs, canaryName(), 'passwd'), 'utf8'), 'pwned');
  });

  it('writes through a dangling absolute symlink: inside the layer or not at all', async () => {
    const result = await extractLayer(sandbox, [
      { path: 'a', type: 'symlink', linkTarget: sandbox.canary },
      { path: 'a/passwd', type: 'file', content: 'pwned' },
    ]);
    if (result.ok) assert.equal(readFileSync(join(result.rootfs, canaryName(), 'passwd'), 'utf8'), 'pwned');
  });

  it('re-roots a symlink to / used as a parent', async () => {
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [
        { path: 'p', type: 'symlink', linkTarget: '/' },
        { path: `p/${canaryName()}/passwd`, type: 'file', content: 'pwned' },
      ]),
    );
    assert.equal(readFileSync(join(rootfs, canaryName(), 'passwd'), 'utf8'), 'pwned');
  });

  it('contains two-hop symlink chains, absolute and climbing', async () => {
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [
        ...canaryDirsInLayer(),
        { path: 'y', type: 'symlink', linkTarget: `${'../'.repeat(20)}${canaryName()}` },
        { path: 'x', type: 'symlink', linkTarget: 'y' },
        { path: 'x/passwd', type: 'file', content: 'pwned-relative' },
        { path: 'w', type: 'symlink', linkTarget: sandbox.canary },
        { path: 'v', type: 'symlink', linkTarget: '/w' },
        { path: 'v/sub/file', type: 'file', content: 'pwned-absolute' },
      ]),
    );
    assert.equal(readFileSync(join(rootfs, canaryName(), 'passwd'), 'utf8'), 'pwned-relative');
    assert.equal(readFileSync(join(rootfs, canaryName(), 'sub', 'file'), 'utf8'), 'pwned-absolute');
  });

  it('links an absolute hardlink to the layer’s own file (legitimate, must work)', async () => {
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [
        { path: 'etc/', type: 'dir' },
        { path: 'etc/passwd', type: 'file', content: 'layer-passwd' },
        { path: 'h', type: 'hardlink', linkTarget: '/etc/passwd' },
      ]),
    );
    assert.equal(statSync(join(rootfs, 'h')).ino, statSync(join(rootfs, 'etc', 'passwd')).ino);
  });

  it('refuses a hardlink to a host file the layer does not have', async () => {
    // The canary snapshot includes link counts: a host hardlink would raise nlink of the canary.
    assertFailed(await extractLayer(sandbox, [{ path: 'h', type: 'hardlink', linkTarget: `${sandbox.canary}/passwd` }]), '"h"');
  });

  it('refuses a hardlink with .. in its target', async () => {
    assertFailed(await extractLayer(sandbox, [{ path: 'h', type: 'hardlink', linkTarget: `${'../'.repeat(20)}${canaryName()}/passwd` }]), '"h"');
  });

  it('resolves a hardlink through a symlink inside the layer', async () => {
    const refused = await extractLayer(sandbox, [
      { path: 's', type: 'symlink', linkTarget: sandbox.canary },
      { path: 'h', type: 'hardlink', linkTarget: 's/passwd' },
    ]);
    assertFailed(refused, '"h"');
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [
        ...canaryDirsInLayer(),
        { path: `${canaryName()}/passwd`, type: 'file', content: 'layer-copy' },
        { path: 's', type: 'symlink', linkTarget: sandbox.canary },
        { path: 'h', type: 'hardlink', linkTarget: 's/passwd' },
      ]),
    );
    assert.equal(readFileSync(join(rootfs, 'h'), 'utf8'), 'layer-copy');
  });

  it('does not fall into the sibling-prefix trap (rootfs vs rootfs-evil)', async () => {
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [
        { path: 'rootfs-evil/', type: 'dir' },
        { path: 'a', type: 'symlink', linkTarget: '../rootfs-evil' },
        { path: 'a/f', type: 'file', content: 'pwned' },
      ]),
    );
    assert.deepEqual(readdirSync(dirname(rootfs)).sort(), ['layer.json', 'rootfs']);
    assert.equal(readFileSync(join(rootfs, 'rootfs-evil', 'f'), 'utf8'), 'pwned');
  });

  it('contains a directory replaced by a symlink mid-archive, then a write under it', async () => {
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [
        ...canaryDirsInLayer(),
        { path: 'd/', type: 'dir' },
        { path: 'd/keep', type: 'file', content: 'k' },
        { path: 'd', type: 'symlink', linkTarget: sandbox.canary },
        { path: 'd/passwd', type: 'file', content: 'pwned' },
      ]),
    );
    assert.ok(lstatSync(join(rootfs, 'd')).isSymbolicLink());
    assert.equal(readFileSync(join(rootfs, canaryName(), 'passwd'), 'utf8'), 'pwned');
  });

  it('never chowns, chmods or touches the target of a symlink entry', async () => {
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [{ path: 'l', type: 'symlink', linkTarget: `${sandbox.canary}/passwd`, uid: 4321, gid: 4321, mode: 0o7777 }]),
    );
    assert.equal(lstatSync(join(rootfs, 'l')).uid, 4321);
  });

  it('whiteouts through a symlink stay inside the layer', async () => {
    const result = await extractLayer(sandbox, [
      { path: 's', type: 'symlink', linkTarget: sandbox.canary },
      { path: 's/.wh.passwd', type: 'file' },
    ]);
    if (result.ok) assert.ok(lstatSync(join(result.rootfs, canaryName(), 'passwd')).isCharacterDevice());
  });

  for (const name of ['.wh.', '.wh..', '.wh...']) {
    it(`refuses the invalid whiteout ${name}`, async () => {
      assertFailed(await extractLayer(sandbox, [{ path: `d/${name}`, type: 'file' }]), 'invalid whiteout');
    });
  }

  it('skips device nodes, huge numbers included, and counts them', async () => {
    const rootfs = rootfsOf(
      await extractLayer(sandbox, [
        { path: 'dev/', type: 'dir' },
        { path: 'dev/null', type: 'char-device', devMajor: 1, devMinor: 3 },
        { path: 'dev/sda', type: 'block-device', devMajor: 8, devMinor: 0 },
        { path: 'dev/huge', type: 'char-device', devMajor: 0o7777777, devMinor: 0o7777777 },
      ]),
    );
    assert.deepEqual(readdirSync(join(rootfs, 'dev')), []);
    const record = JSON.parse(readFileSync(join(dirname(rootfs), 'layer.json'), 'utf8')) as { skippedDevices: number };
    assert.equal(record.skippedDevices, 3);
  });

  it('refuses a non-directory entry that would replace the layer root', async () => {
    assertFailed(await extractLayer(sandbox, [{ path: 'keep', type: 'file' }, { path: './', type: 'symlink', linkTarget: sandbox.canary }]), 'cannot replace the layer root');
  });

  it('applies PAX owners past 2097151 and refuses (uid_t)-1, which chown reads as "unchanged"', async () => {
    const rootfs = rootfsOf(await extractLayer(sandbox, [{ path: 'f', type: 'file', pax: { uid: '3000000', gid: '3000001' } }]));
    assert.deepEqual([lstatSync(join(rootfs, 'f')).uid, lstatSync(join(rootfs, 'f')).gid], [3000000, 3000001]);
    assertFailed(await extractLayer(sandbox, [{ path: 'f', type: 'file', pax: { uid: '4294967295' } }]), 'not a valid uid:gid');
    for (const gid of ['-1', '', '0x10']) {
      assertFailed(await extractLayer(sandbox, [{ path: 'f', type: 'file', pax: { gid } }]), 'not a valid uid:gid');
    }
  });

  it('refuses a path-depth bomb', async () => {
    assertFailed(await extractLayer(sandbox, [{ path: `${'d/'.repeat(300)}f`, type: 'file' }]), 'components deep');
  });

  it('stops a decompression bomb at the configured limit', async () => {
    const result = await extractLayer(sandbox, [{ path: 'zeros', type: 'file', content: Buffer.alloc(1024 * 1024) }], 64 * 1024);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.code, 'ERR_STORE_LAYER_TOO_LARGE');
  });

  it('does not leave a refused layer in the store', async () => {
    const { dataDir } = sandbox;
    const layersDir = join(dataDir, 'cas', 'layers', 'tmp');
    assert.ok(existsSync(layersDir));
    assert.deepEqual(readdirSync(layersDir), []);
  });
});
