/** Reading, checking and listing blobs that are in the store (see blob-store.ts for writing them). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { DIGEST_PATTERN } from '../schema/digest.js';
import { blobPath, type BlobOpener } from './blob-store.js';
import { storeDirs } from './store-dirs.js';

/** Bytes in memory (a manifest, a config) as a BlobOpener. */
export function bytesBlobOpener(bytes: Buffer): BlobOpener {
  return async (offset) => ({ stream: Readable.from([bytes.subarray(offset)]), offset });
}

/** A small stored blob (manifest, config), whole; the store checked it when it was written. */
export async function readStoredBlob(dataDir: string, digest: string): Promise<Buffer> {
  try {
    return await readFile(blobPath(dataDir, digest));
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) {
      throw new RktError('store', 'ERR_STORE_BLOB_MISSING', `blob ${digest} is not in the store: ${blobPath(dataDir, digest)}`, {
        hint: 'the store is damaged; remove the image (rkt image rm) and fetch it again',
      });
    }
    throw error;
  }
}

export type BlobCheck = { ok: true } | { ok: false; problem: string };

/** Re-hashes a stored blob and compares digest and size. */
export async function checkStoredBlob(dataDir: string, digest: string, size: number): Promise<BlobCheck> {
  const path = blobPath(dataDir, digest);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return { ok: false, problem: `blob ${digest} is missing` };
  if (info.size !== size) return { ok: false, problem: `blob ${digest} is ${info.size} bytes, expected ${size}` };
  const hash = createHash(digest.slice(0, digest.indexOf(':')));
  await pipeline(createReadStream(path), new Writable({ write: (chunk: Buffer, _e, done) => (hash.update(chunk), done()) }));
  const actual = `${digest.slice(0, digest.indexOf(':'))}:${hash.digest('hex')}`;
  return actual === digest ? { ok: true } : { ok: false, problem: `blob ${digest} has digest ${actual}` };
}

/** Every blob digest in the store; names that are not digests are ignored. */
export async function listStoredBlobs(dataDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const algorithm of ['sha256', 'sha512']) {
    const names = await readdir(join(storeDirs(dataDir).blobs, algorithm)).catch(() => [] as string[]);
    for (const name of names) if (DIGEST_PATTERN.test(`${algorithm}:${name}`)) found.push(`${algorithm}:${name}`);
  }
  return found;
}
