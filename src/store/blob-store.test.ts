import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { blobPath, fileBlobOpener, ingestBlob, type BlobOpener } from './blob-store.js';
import { bytesBlobOpener, checkStoredBlob, listStoredBlobs } from './stored-blob.js';
import { rejection } from '../errors/expect-rejection.js';

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'rkt-blob-test-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

function freshDataDir(): string {
  return mkdtempSync(join(base, 'data-'));
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A source that sends `cut` bytes and then fails, as a dropped connection would. */
function droppingOpener(bytes: Buffer, cut: number, offsets: number[]): BlobOpener {
  return async (offset) => {
    offsets.push(offset);
    let sent = false;
    const stream = new Readable({
      read() {
        if (sent) this.destroy(new Error('connection reset'));
        else this.push(bytes.subarray(offset, cut));
        sent = true;
      },
    });
    return { stream, offset };
  };
}

describe('ingestBlob', () => {
  it('stores a blob under cas/blobs/<alg>/<hex>, leaves nothing in ingest/, and a second store is a no-op', async () => {
    const dataDir = freshDataDir();
    const bytes = randomBytes(100_000);
    const digest = digestOf(bytes);
    const path = await ingestBlob({ dataDir, digest, size: bytes.length, open: bytesBlobOpener(bytes) });
    assert.equal(path, join(dataDir, 'cas', 'blobs', 'sha256', digest.slice(7)));
    assert.deepEqual(readFileSync(path), bytes);
    assert.deepEqual(readdirSync(join(dataDir, 'cas', 'ingest')), []);
    let opened = false;
    await ingestBlob({ dataDir, digest, size: bytes.length, open: async () => ((opened = true), { stream: Readable.from([]), offset: 0 }) });
    assert.equal(opened, false);
    assert.deepEqual(await listStoredBlobs(dataDir), [digest]);
  });

  it('refuses bytes with another digest, and stores nothing', async () => {
    const dataDir = freshDataDir();
    const bytes = randomBytes(1000);
    const digest = digestOf(Buffer.from('something else entirely, same length?'));
    const error = await rejection(ingestBlob({ dataDir, digest, size: bytes.length, open: bytesBlobOpener(bytes) }));
    assert.equal(error.code, 'ERR_STORE_DIGEST_MISMATCH');
    assert.equal(existsSync(blobPath(dataDir, digest)), false);
    assert.deepEqual(readdirSync(join(dataDir, 'cas', 'ingest')), []);
  });

  it('refuses a source that sends more or fewer bytes than the size', async () => {
    const dataDir = freshDataDir();
    const bytes = randomBytes(1000);
    const digest = digestOf(bytes);
    assert.equal((await rejection(ingestBlob({ dataDir, digest, size: 999, open: bytesBlobOpener(bytes) }))).code, 'ERR_STORE_BLOB_SIZE_MISMATCH');
    assert.equal((await rejection(ingestBlob({ dataDir, digest, size: 1001, open: bytesBlobOpener(bytes) }))).code, 'ERR_STORE_BLOB_SIZE_MISMATCH');
    assert.equal(existsSync(blobPath(dataDir, digest)), false);
  });

  it('refuses a digest that is not one before touching any path', async () => {
    const error = await rejection(ingestBlob({ dataDir: freshDataDir(), digest: 'sha256:../../etc/passwd', size: 1, open: bytesBlobOpener(Buffer.from('x')) }));
    assert.equal(error.code, 'ERR_IMAGE_DIGEST_INVALID');
  });

  it('resumes an interrupted download from the bytes already in ingest/', async () => {
    const dataDir = freshDataDir();
    const bytes = randomBytes(300_000);
    const digest = digestOf(bytes);
    const offsets: number[] = [];
    await rejection(ingestBlob({ dataDir, digest, size: bytes.length, open: droppingOpener(bytes, 120_000, offsets) }));
    assert.equal(statSync(join(dataDir, 'cas', 'ingest', `sha256-${digest.slice(7)}`)).size, 120_000);
    const seen: number[] = [];
    await ingestBlob({ dataDir, digest, size: bytes.length, open: async (offset) => (seen.push(offset), bytesBlobOpener(bytes)(offset)) });
    assert.deepEqual(seen, [120_000]);
    assert.deepEqual(readFileSync(blobPath(dataDir, digest)), bytes);
  });

  it('starts again when the source cannot resume, and when the partial bytes are wrong', async () => {
    const dataDir = freshDataDir();
    const bytes = randomBytes(50_000);
    const digest = digestOf(bytes);
    await rejection(ingestBlob({ dataDir, digest, size: bytes.length, open: droppingOpener(bytes, 10_000, []) }));
    await ingestBlob({ dataDir, digest, size: bytes.length, open: async () => ({ stream: Readable.from([bytes]), offset: 0 }) });
    assert.deepEqual(readFileSync(blobPath(dataDir, digest)), bytes);

    // Garbage in a partial file fails the digest check once, and the retry from scratch succeeds.
    const other = randomBytes(50_000);
    const otherDigest = digestOf(other);
    writeFileSync(join(dataDir, 'cas', 'ingest', `sha256-${otherDigest.slice(7)}`), randomBytes(1000));
    assert.equal((await rejection(ingestBlob({ dataDir, digest: otherDigest, size: other.length, open: bytesBlobOpener(other) }))).code, 'ERR_STORE_DIGEST_MISMATCH');
    await ingestBlob({ dataDir, digest: otherDigest, size: other.length, open: bytesBlobOpener(other) });
    assert.deepEqual(readFileSync(blobPath(dataDir, otherDigest)), other);
  });

  it('lets many concurrent writers of one blob all succeed, with one copy stored', async () => {
    const dataDir = freshDataDir();
    const bytes = randomBytes(2_000_000);
    const digest = digestOf(bytes);
    const file = join(base, 'concurrent-source');
    writeFileSync(file, bytes);
    await Promise.all(Array.from({ length: 8 }, () => ingestBlob({ dataDir, digest, size: bytes.length, open: fileBlobOpener(file) })));
    assert.deepEqual(readFileSync(blobPath(dataDir, digest)), bytes);
    assert.deepEqual(readdirSync(join(dataDir, 'cas', 'ingest')), []);
  });

  it('after a writer is killed with SIGKILL mid-download, the next one resumes and the store is whole', async () => {
    const dataDir = freshDataDir();
    const bytes = randomBytes(4 * 1024 * 1024);
    const digest = digestOf(bytes);
    const file = join(base, 'killed-source');
    writeFileSync(file, bytes);
    const child = spawn(process.execPath, [fileURLToPath(new URL('./ingest-child-fixture.js', import.meta.url)), dataDir, file, digest, String(bytes.length)], { stdio: 'ignore' });
    const partial = join(dataDir, 'cas', 'ingest', `sha256-${digest.slice(7)}`);
    for (let i = 0; i < 500 && !(existsSync(partial) && statSync(partial).size > 256 * 1024); i++) await sleep(10);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const kept = statSync(partial).size;
    assert.ok(kept > 0 && kept < bytes.length, `partial file has ${kept} bytes`);
    assert.equal(existsSync(blobPath(dataDir, digest)), false, 'no blob appears before it is whole');
    const seen: number[] = [];
    await ingestBlob({ dataDir, digest, size: bytes.length, open: async (offset) => (seen.push(offset), fileBlobOpener(file)(offset)) });
    assert.deepEqual(seen, [kept]);
    assert.deepEqual((await checkStoredBlob(dataDir, digest, bytes.length)), { ok: true });
  });
});

describe('checkStoredBlob', () => {
  it('finds a blob corrupted at rest, a truncated one and a missing one', async () => {
    const dataDir = freshDataDir();
    const bytes = randomBytes(1000);
    const digest = digestOf(bytes);
    const path = await ingestBlob({ dataDir, digest, size: bytes.length, open: bytesBlobOpener(bytes) });
    assert.deepEqual(await checkStoredBlob(dataDir, digest, 1000), { ok: true });
    const flipped = Buffer.from(bytes);
    flipped[10] = flipped[10]! ^ 0xff;
    writeFileSync(path, flipped);
    assert.match((await checkStoredBlob(dataDir, digest, 1000) as { problem: string }).problem, /has digest sha256:/);
    writeFileSync(path, bytes.subarray(0, 10));
    assert.match((await checkStoredBlob(dataDir, digest, 1000) as { problem: string }).problem, /is 10 bytes, expected 1000/);
    rmSync(path);
    assert.match((await checkStoredBlob(dataDir, digest, 1000) as { problem: string }).problem, /missing/);
  });
});
