import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { INDEX_MIGRATIONS } from './index-migrations.js';
import { ImageIndex, indexPath, type NewImage } from './image-index.js';
import { rejection } from '../errors/expect-rejection.js';

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'rkt-index-test-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

const fresh = () => mkdtempSync(join(base, 'data-'));
const hex = (c: string) => c.repeat(64);

function image(id: string, name: string, now: number, layers: string[] = ['a']): NewImage {
  return {
    id: `sha256:${hex(id)}`,
    name,
    sourceKind: 'oci',
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    configDigest: `sha256:${hex('c')}`,
    now,
    blobs: [
      { role: 'manifest', digest: `sha256:${hex(id)}`, size: 10, mediaType: 'm' },
      { role: 'config', digest: `sha256:${hex('c')}`, size: 20, mediaType: 'c' },
      ...layers.map((l) => ({ role: 'layer' as const, digest: `sha256:${hex(l)}`, size: 100, mediaType: 'l', diffId: `sha256:${hex(l === 'a' ? 'd' : 'e')}` })),
    ],
  };
}

describe('ImageIndex', () => {
  it('creates the index at format version 1 and records images, names and blobs', async () => {
    const dataDir = fresh();
    const index = await ImageIndex.open(dataDir);
    try {
      assert.equal(index.formatVersion(), INDEX_MIGRATIONS.at(-1)!.version);
      const first = index.recordImage(image('1', 'oci:/x:v1', 1000));
      assert.equal(first.size, 130);
      assert.equal(first.latest, true);
      assert.equal(index.findByName('oci:/x:v1')?.id, first.id);
      // The name moves to a newer image; the old one stays, no longer "latest".
      index.recordImage(image('2', 'oci:/x:v1', 2000, ['a', 'b']));
      assert.equal(index.findByName('oci:/x:v1')?.id, `sha256:${hex('2')}`);
      assert.deepEqual(index.list().map((i) => [i.id.slice(7, 8), i.latest]), [['1', false], ['2', true]]);
      assert.deepEqual(index.findByIdPrefix('sha256:2').map((i) => i.id), [`sha256:${hex('2')}`]);
      assert.deepEqual(index.findByIdPrefix('sha256:_'), []);
      assert.equal(index.blobsOf(`sha256:${hex('2')}`).length, 4);
      // Fetching again keeps the import time.
      index.recordImage(image('1', 'oci:/x:v1', 3000));
      assert.equal(index.get(`sha256:${hex('1')}`)?.importTime, 1000);
      index.remove([`sha256:${hex('1')}`]);
      assert.equal(index.findByName('oci:/x:v1'), undefined, 'the name went with the image it referred to');
      assert.deepEqual([...index.liveContent().diffIds].sort(), [`sha256:${hex('d')}`, `sha256:${hex('e')}`]);
      index.putRemote({ url: 'https://x/y.aci', etag: '"abc"', cacheMaxAge: 60, downloadTime: 5, imageId: `sha256:${hex('2')}` });
      assert.deepEqual(index.getRemote('https://x/y.aci'), { url: 'https://x/y.aci', etag: '"abc"', cacheMaxAge: 60, downloadTime: 5, imageId: `sha256:${hex('2')}` });
    } finally {
      index.close();
    }
  });

  it('migrates an older index forward and keeps its data', async () => {
    const dataDir = fresh();
    const v1 = await ImageIndex.open(dataDir, INDEX_MIGRATIONS.slice(0, 1));
    v1.recordImage(image('1', 'n', 1));
    v1.close();
    const v2 = await ImageIndex.open(dataDir, [...INDEX_MIGRATIONS, { version: INDEX_MIGRATIONS.length + 1, description: 'test', sql: 'ALTER TABLE images ADD COLUMN note TEXT' }]);
    assert.equal(v2.formatVersion(), INDEX_MIGRATIONS.length + 1);
    assert.equal(v2.findByName('n')?.id, `sha256:${hex('1')}`);
    v2.close();
  });

  it('leaves the index at its old version when a migration fails half-way', async () => {
    const dataDir = fresh();
    (await ImageIndex.open(dataDir)).close();
    const broken = [...INDEX_MIGRATIONS, { version: INDEX_MIGRATIONS.length + 1, description: 'broken', sql: 'CREATE TABLE t1 (x); SELECT * FROM no_such_table;' }];
    await rejection(ImageIndex.open(dataDir, broken));
    const db = new Database(indexPath(dataDir));
    assert.equal(db.pragma('user_version', { simple: true }), INDEX_MIGRATIONS.length);
    assert.equal((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't1'").get() as { n: number }).n, 0);
    db.close();
  });

  it('refuses an index written by a newer rkt', async () => {
    const dataDir = fresh();
    (await ImageIndex.open(dataDir)).close();
    const db = new Database(indexPath(dataDir));
    db.pragma('user_version = 99');
    db.close();
    const error = await rejection(ImageIndex.open(dataDir));
    assert.equal(error.code, 'ERR_STORE_FORMAT_NEWER');
    assert.match(error.message, /format version 99/);
  });

  it('lets several connections write at once', async () => {
    const dataDir = fresh();
    const indexes = await Promise.all(Array.from({ length: 4 }, () => ImageIndex.open(dataDir)));
    indexes.forEach((index, i) => index.recordImage(image(String(i + 1), `name-${i}`, i)));
    assert.equal(indexes[0]!.list().length, 4);
    for (const index of indexes) index.close();
  });
});
