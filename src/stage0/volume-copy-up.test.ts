import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { copyUpFromLayers } from './volume-copy-up.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-copy-up-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

function layer(name: string, build: (dir: string) => void): string {
  const dir = path.join(base, name);
  fs.mkdirSync(dir, { recursive: true });
  build(dir);
  return dir;
}

function volume(name: string): string {
  const dir = path.join(base, 'vol', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

describe('copyUpFromLayers', () => {
  it('merges the layers bottom first; whiteouts delete', () => {
    const bottom = layer('m1', (d) => {
      fs.mkdirSync(path.join(d, 'data/sub'), { recursive: true });
      fs.writeFileSync(path.join(d, 'data/a'), 'a1');
      fs.writeFileSync(path.join(d, 'data/gone'), 'x');
    });
    const top = layer('m2', (d) => {
      fs.mkdirSync(path.join(d, 'data'), { recursive: true });
      fs.writeFileSync(path.join(d, 'data/a'), 'a2');
      fs.symlinkSync('/etc/passwd', path.join(d, 'data/link'));
      spawnMknod(path.join(d, 'data/gone'));
    });
    const out = volume('merge');
    assert.equal(copyUpFromLayers([bottom, top], '/data', out), 'copied');
    assert.equal(fs.readFileSync(path.join(out, 'a'), 'utf8'), 'a2');
    assert.equal(fs.readlinkSync(path.join(out, 'link')), '/etc/passwd', 'symlinks are copied, not followed');
    assert.ok(!fs.existsSync(path.join(out, 'gone')));
    assert.ok(fs.statSync(path.join(out, 'sub')).isDirectory());
  });

  it('never writes through a lower layer\'s symlink', () => {
    const target = fs.mkdtempSync(path.join(base, 'outside-'));
    const bottom = layer('s1', (d) => {
      fs.mkdirSync(path.join(d, 'data'), { recursive: true });
      fs.symlinkSync(target, path.join(d, 'data/dir'));
    });
    const top = layer('s2', (d) => {
      fs.mkdirSync(path.join(d, 'data/dir'), { recursive: true });
      fs.writeFileSync(path.join(d, 'data/dir/file'), 'x');
    });
    const out = volume('symlink');
    copyUpFromLayers([bottom, top], '/data', out);
    assert.deepEqual(fs.readdirSync(target), []);
    assert.equal(fs.readFileSync(path.join(out, 'dir/file'), 'utf8'), 'x');
  });

  it('leaves the volume empty when the mount point is reached through a symlink, or absent', () => {
    const linked = layer('l1', (d) => {
      fs.mkdirSync(path.join(d, 'real'), { recursive: true });
      fs.writeFileSync(path.join(d, 'real/f'), 'x');
      fs.symlinkSync('real', path.join(d, 'data'));
    });
    assert.equal(copyUpFromLayers([linked], '/data', volume('link')), 'symlink-in-path');
    assert.deepEqual(fs.readdirSync(path.join(base, 'vol', 'link')), []);
    assert.equal(copyUpFromLayers([linked], '/nothing/here', volume('absent')), 'absent');
  });
});

function spawnMknod(file: string): void {
  // A 0:0 character device is overlay's whiteout, as the layer extraction writes it.
  fs.rmSync(file, { force: true });
  const result = spawnSyncMknod(file);
  assert.equal(result, 0);
}

function spawnSyncMknod(file: string): number | null {
  return spawnSync('mknod', [file, 'c', '0', '0']).status;
}
