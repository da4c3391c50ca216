import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { normalizeArchiveName, resolveArchiveFile, unpackImageArchive } from './unpack-image-archive.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo'; body?: string; linkname?: string };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const header = { name: entry.name, type, ...(entry.linkname ? { linkname: entry.linkname } : {}), ...(type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}) };
    if (type === 'file') pack.entry(header, entry.body ?? 'x');
    else pack.entry(header, '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'rkt-archive-test-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

async function unpack(entries: Entry[], gzip = false) {
  const dir = mkdtempSync(join(base, 'case-'));
  const archivePath = join(dir, 'archive.tar');
  const bytes = await makeTar(entries);
  writeFileSync(archivePath, gzip ? gzipSync(bytes) : bytes);
  const destDir = join(dir, 'dest');
  mkdirSync(destDir);
  const outside = join(dir, 'outside');
  return { dir, destDir, outside, result: () => unpackImageArchive({ archivePath, destDir, keep: () => true }) };
}

describe('unpackImageArchive', () => {
  it('unpacks plain files (gzipped too) and records links as aliases without creating them', async () => {
    for (const gzip of [false, true]) {
      const c = await unpack([{ name: './manifest.json', body: '[]' }, { name: 'dir/', type: 'directory' }, { name: 'dir/layer.tar', body: 'L' }, { name: 'other/layer.tar', type: 'symlink', linkname: '../dir/layer.tar' }, { name: 'hard', type: 'link', linkname: 'dir/layer.tar' }], gzip);
      const archive = await c.result();
      assert.deepEqual([...archive.files].sort(), ['dir/layer.tar', 'manifest.json']);
      assert.equal(readFileSync(join(c.destDir, 'dir', 'layer.tar'), 'utf8'), 'L');
      assert.equal(existsSync(join(c.destDir, 'other')), false, 'links are not created');
      assert.equal(resolveArchiveFile(archive, 'other/layer.tar', 'a'), 'dir/layer.tar');
      assert.equal(resolveArchiveFile(archive, './hard', 'a'), 'dir/layer.tar');
    }
  });

  const hostile: [string, Entry[]][] = [
    ['a ".." name', [{ name: '../outside/evil' }]],
    ['a ".." in the middle', [{ name: 'a/../../outside/evil' }]],
    ['an absolute name', [{ name: '/tmp/evil' }]],
    ['a symlink out of the archive', [{ name: 'l', type: 'symlink', linkname: '../outside' }]],
    ['an absolute symlink', [{ name: 'l', type: 'symlink', linkname: '/etc' }]],
    ['a hardlink out of the archive', [{ name: 'h', type: 'link', linkname: '../../etc/passwd' }]],
    ['a device node', [{ name: 'null', type: 'character-device' }]],
    ['a FIFO', [{ name: 'fifo', type: 'fifo' }]],
    ['a duplicate name', [{ name: 'index.json' }, { name: './index.json' }]],
    ['a file below a file', [{ name: 'a' }, { name: 'a/b' }]],
  ];
  for (const [what, entries] of hostile) {
    it(`refuses ${what}, creating nothing outside its directory`, async () => {
      const c = await unpack(entries);
      await assert.rejects(c.result(), (error: Error & { code?: string }) => error.code === 'ERR_IMAGE_ARCHIVE_INVALID' || /ENOTDIR|EEXIST/.test(error.message));
      assert.deepEqual(readdirSync(c.dir).sort(), ['archive.tar', 'dest']);
    });
  }

  it('refuses a file that is not a tar at all', async () => {
    const dir = mkdtempSync(join(base, 'garbage-'));
    writeFileSync(join(dir, 'a.tar'), 'this is not a tar archive, not even close'.repeat(20));
    await assert.rejects(unpackImageArchive({ archivePath: join(dir, 'a.tar'), destDir: join(dir, 'd'), keep: () => true }), { code: 'ERR_IMAGE_ARCHIVE_INVALID' });
  });

  it('normalizes names and rejects those that leave the directory', () => {
    assert.equal(normalizeArchiveName('./a//b/'), 'a/b');
    assert.equal(normalizeArchiveName('a/../b'), undefined);
    assert.equal(normalizeArchiveName('/a'), undefined);
    assert.equal(normalizeArchiveName('a\0b'), undefined);
  });
});
