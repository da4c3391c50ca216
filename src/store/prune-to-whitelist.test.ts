import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pruneToWhitelist } from './prune-to-whitelist.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rkt-prune-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

function tree(dir: string, under = ''): string[] {
  return fs.readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${under}/${entry.name}`;
    return entry.isDirectory() ? [`${relative}/`, ...tree(dir, relative)] : [relative];
  }).sort();
}

describe('pruneToWhitelist', () => {
  it('keeps exactly the whitelisted paths and the directories leading to them; never follows a symlink', async () => {
    const rootfs = fs.mkdtempSync(path.join(base, 'rootfs-'));
    const outside = fs.mkdtempSync(path.join(base, 'outside-'));
    fs.writeFileSync(path.join(outside, 'precious'), 'keep me');
    for (const dir of ['usr/bin', 'etc/listed', 'empty']) fs.mkdirSync(path.join(rootfs, dir), { recursive: true });
    for (const file of ['usr/bin/kept', 'usr/bin/other', 'etc/listed/inside', 'etc/passwd', 'top']) fs.writeFileSync(path.join(rootfs, file), file);
    fs.symlinkSync(outside, path.join(rootfs, 'link'));
    fs.utimesSync(path.join(rootfs, 'usr/bin'), new Date(1000_000), new Date(1000_000));

    await pruneToWhitelist(rootfs, ['/usr/bin/kept', '/etc/listed/', '/link/precious', '//top']);

    assert.deepEqual(tree(rootfs), ['/etc/', '/etc/listed/', '/top', '/usr/', '/usr/bin/', '/usr/bin/kept']);
    assert.equal(fs.readFileSync(path.join(outside, 'precious'), 'utf8'), 'keep me', 'a symlink is removed by its own name, its target untouched');
    assert.equal(fs.statSync(path.join(rootfs, 'usr/bin')).mtimeMs, 1000_000, 'the image\'s directory times are kept');
  });
});
