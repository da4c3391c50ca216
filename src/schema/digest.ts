/**
 * Content digests as OCI writes them. A digest string ends up in file paths
 * (`blobs/sha256/<hex>`, `cas/layers/sha256/<hex>`), so anything that is not exactly
 * `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>` is refused before it is used:
 * `sha256:../../etc` must never become a path.
 */
import { RktError } from '../errors/rkt-error.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

export const DIGEST_PATTERN = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

/** Splits a digest after checking its exact form; `where` names the file or field it came from. */
export function parseDigest(digest: string, where: string): ParsedDigest {
  if (!DIGEST_PATTERN.test(digest)) {
    throw new RktError('image', 'ERR_IMAGE_DIGEST_INVALID', `${where}: invalid digest ${JSON.stringify(digest.slice(0, 200))}`, {
      hint: 'digests must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>',
    });
  }
  const [algorithm, hex] = digest.split(':') as [DigestAlgorithm, string];
  return { algorithm, hex };
}
