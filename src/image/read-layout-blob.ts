/**
 * Reads small blobs (manifests, configs, nested indexes) out of an OCI image layout, checking size
 * and digest against the descriptor that pointed at them. Layer blobs are streamed by the store.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { MAX_JSON_DOCUMENT_BYTES } from '../schema/parse-json-document.js';
import { parseDigest } from '../schema/digest.js';

/** `blobs/<alg>/<hex>` under the layout; the digest's form is checked before it becomes a path. */
export function layoutBlobPath(layoutPath: string, digest: string): string {
  const { algorithm, hex } = parseDigest(digest, `blob in ${layoutPath}`);
  return join(layoutPath, 'blobs', algorithm, hex);
}

export async function readLayoutBlob(layoutPath: string, descriptor: { digest: string; size: number }): Promise<Buffer> {
  const { digest, size } = descriptor;
  const path = layoutBlobPath(layoutPath, digest);
  if (size > MAX_JSON_DOCUMENT_BYTES) {
    throw new RktError('image', 'ERR_IMAGE_DOCUMENT_INVALID', `blob ${digest} in ${layoutPath} claims ${size} bytes, more than the limit of ${MAX_JSON_DOCUMENT_BYTES}`);
  }
  const bytes = await readAtMost(path, size + 1, digest);
  if (bytes.length !== size) {
    throw new RktError('image', 'ERR_IMAGE_BLOB_SIZE_MISMATCH', `blob ${path} is ${bytes.length > size ? 'larger' : 'smaller'} than the ${size} bytes its descriptor says`);
  }
  const algorithm = digest.slice(0, digest.indexOf(':'));
  const actual = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
  if (actual !== digest) {
    throw new RktError('image', 'ERR_IMAGE_DIGEST_MISMATCH', `blob ${path} has digest ${actual}, expected ${digest}`, {
      hint: 'the image layout is corrupt or was tampered with',
    });
  }
  return bytes;
}

/** Reads no more than `limit` bytes, so a blob that is far bigger than claimed is not slurped whole. */
async function readAtMost(path: string, limit: number, digest: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) {
      throw new RktError('image', 'ERR_IMAGE_BLOB_MISSING', `blob ${digest} is missing: ${path}`, { cause: error });
    }
    throw error;
  }
  try {
    const buffer = Buffer.alloc(limit);
    let filled = 0;
    while (filled < limit) {
      const { bytesRead } = await handle.read(buffer, filled, limit - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
