import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { layerTreeSeal } from './layer-tree-seal.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-seal-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** A small tree: a directory, a file, a symlink. */
function tree(name: string): string {
  const root = path.join(base, name, 'rootfs');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc', 'motd'), 'hello\n');
  fs.symlinkSync('etc/motd', path.join(root, 'motd'));
  return root;
}

describe('layerTreeSeal', () => {
  it('is the same for an untouched tree, also after its parent directory is renamed (as the store renames a layer into place)', () => {
    const root = tree('stable');
    const seal = layerTreeSeal(root);
    assert.match(seal, /^sha256:[0-9a-f]{64}$/);
    assert.equal(layerTreeSeal(root), seal);
    fs.renameSync(path.join(base, 'stable'), path.join(base, 'stable-moved'));
    assert.equal(layerTreeSeal(path.join(base, 'stable-moved', 'rootfs')), seal);
  });

  it('changes when a file is rewritten with the same bytes, chmod-ed, added, removed or replaced', () => {
    const changes: [string, (root: string) => void][] = [
      ['same bytes written again', (root) => fs.writeFileSync(path.join(root, 'etc', 'motd'), 'hello\n')],
      ['mode', (root) => fs.chmodSync(path.join(root, 'etc', 'motd'), 0o600)],
      ['owner', (root) => fs.chownSync(path.join(root, 'etc', 'motd'), 1, 1)],
      ['added', (root) => fs.writeFileSync(path.join(root, 'etc', 'new'), '')],
      ['removed', (root) => fs.rmSync(path.join(root, 'motd'))],
      ['replaced by rename', (root) => {
        fs.writeFileSync(path.join(root, 'other'), 'hello\n');
        fs.renameSync(path.join(root, 'other'), path.join(root, 'etc', 'motd'));
      }],
    ];
    for (const [what, change] of changes) {
      const root = tree(`change-${what.replace(/ /g, '-')}`);
      const seal = layerTreeSeal(root);
      // the kernel's file times are coarse (a clock tick of a few ms): let one pass, as it has
      // between an extraction and any later change
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      change(root);
      assert.notEqual(layerTreeSeal(root), seal, what);
    }
  });
});
