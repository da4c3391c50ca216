/**
 * Content-addressed blobs: `cas/blobs/<alg>/<hex>`. A blob is written to `cas/ingest/<alg>-<hex>`,
 * checked against its digest and size, and renamed into place, so a blob in `blobs/` is always whole
 * and correct; a blob already present is success. One writer per blob at a time
 * (`cas/locks/blob-<alg>-<hex>.lock`); a writer killed half-way leaves its partial file in ingest/,
 * and the next writer resumes from where it stopped (the source is asked for the rest from that
 * offset; a source that cannot seek starts again from 0).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RktError } from '../errors/rkt-error.js';
import { parseDigest } from '../schema/digest.js';
import { withExclusiveFileLock } from './file-lock.js';
import { resumeIntoFile, type SourceOpener } from './resume-into-file.js';
import { makeStoreDir, prepareStoreDirs, sharedFileMode, storeDirs } from './store-dirs.js';

/** A blob's source, asked for its bytes from an offset (a file, a registry, an archive). */
export type BlobOpener = SourceOpener;

export interface IngestBlobOptions {
  dataDir: string;
  digest: string;
  size: number;
  open: BlobOpener;
  /** Bytes stored so far (resumed bytes included) and the total. */
  onProgress?: (stored: number, total: number) => void;
  signal?: AbortSignal;
}

export function blobPath(dataDir: string, digest: string): string {
  const { algorithm, hex } = parseDigest(digest, 'blob');
  return join(storeDirs(dataDir).blobs, algorithm, hex);
}

export async function hasBlob(dataDir: string, digest: string, size?: number): Promise<boolean> {
  const info = await stat(blobPath(dataDir, digest)).catch(() => undefined);
  return info !== undefined && info.isFile() && (size === undefined || info.size === size);
}

/** A file as a BlobOpener. */
export function fileBlobOpener(path: string): BlobOpener {
  return async (offset) => ({ stream: createReadStream(path, { start: offset }), offset });
}

/** Stores the blob unless it is there already; returns its path in the store. */
export async function ingestBlob(options: IngestBlobOptions): Promise<string> {
  const { dataDir, digest, size } = options;
  const { algorithm, hex } = parseDigest(digest, 'blob');
  const target = blobPath(dataDir, digest);
  if (await hasBlob(dataDir, digest, size)) {
    options.onProgress?.(size, size);
    return target;
  }
  const dirs = await prepareStoreDirs(dataDir);
  await makeStoreDir(join(dirs.blobs, algorithm), dirs.groupShared);
  await withExclusiveFileLock(join(dirs.locks, `blob-${algorithm}-${hex}.lock`), async () => {
    if (await hasBlob(dataDir, digest, size)) return; // another process stored it while we waited
    const partial = join(dirs.ingest, `${algorithm}-${hex}`);
    await downloadInto(partial, options, sharedFileMode(dirs.groupShared));
    await rename(partial, target);
  });
  options.onProgress?.(size, size);
  return target;
}

/** Appends to the partial file until it holds `size` bytes, then checks the digest of the whole. */
async function downloadInto(partial: string, options: IngestBlobOptions, mode: number): Promise<void> {
  const { digest, size } = options;
  const algorithm = digest.slice(0, digest.indexOf(':'));
  const have = await existingBytes(partial, size);
  let hash = createHash(algorithm);
  if (have > 0) await hashFile(partial, hash);
  if (size === 0) await writeFile(partial, '', { mode });
  if (have < size) {
    await resumeIntoFile({
      partial,
      mode,
      open: options.open,
      what: `blob ${digest}`,
      ...(options.signal ? { signal: options.signal } : {}),
      onRestart: () => (hash = createHash(algorithm)),
      onChunk: (chunk, end) => {
        if (end > size) {
          throw new RktError('store', 'ERR_STORE_BLOB_SIZE_MISMATCH', `blob ${digest}: the source sent more than the ${size} bytes expected`, {
            hint: 'the source is corrupt or was tampered with',
          });
        }
        hash.update(chunk);
        options.onProgress?.(end, size);
      },
    });
  }
  await checkWhole(partial, hash, options);
}

async function checkWhole(partial: string, hash: Hash, options: IngestBlobOptions): Promise<void> {
  const { digest, size } = options;
  const info = await stat(partial);
  if (info.size !== size) {
    await unlink(partial).catch(() => undefined);
    throw new RktError('store', 'ERR_STORE_BLOB_SIZE_MISMATCH', `blob ${digest}: got ${info.size} bytes, expected ${size}`, {
      hint: 'the source is corrupt, truncated or was tampered with',
    });
  }
  const actual = `${digest.slice(0, digest.indexOf(':'))}:${hash.digest('hex')}`;
  if (actual !== digest) {
    await unlink(partial).catch(() => undefined);
    throw new RktError('store', 'ERR_STORE_DIGEST_MISMATCH', `blob has digest ${actual}, expected ${digest}`, {
      hint: 'the source is corrupt or was tampered with',
    });
  }
}

/** Size of a usable partial file; one that is larger than the blob is thrown away. */
async function existingBytes(partial: string, size: number): Promise<number> {
  const info = await stat(partial).catch(() => undefined);
  if (info === undefined) return 0;
  if (info.size > size) {
    await unlink(partial);
    return 0;
  }
  return info.size;
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  await pipeline(createReadStream(path), new Writable({ write: (chunk: Buffer, _e, done) => (hash.update(chunk), done()) }));
}
