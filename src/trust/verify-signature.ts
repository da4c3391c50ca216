/**
 * Verifies a detached, ASCII-armored OpenPGP signature over a file, in-process (openpgp.js), with
 * the keys trusted for the image's name. The signature must be made by one of those keys (or one of
 * their signing subkeys), the key must not be expired or revoked now, and the digest must match.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './load-openpgp.js';
import { RktError } from '../errors/rkt-error.js';
import type { TrustedKey } from './keystore.js';

export interface VerifiedSignature {
  fingerprint: string;
  scope: string;
}

const MAX_SIGNATURE_BYTES = 64 * 1024;

export async function readArmoredSignature(bytes: Buffer, where: string): Promise<openpgp.Signature> {
  if (bytes.length > MAX_SIGNATURE_BYTES) throw malformed(where, `is larger than ${MAX_SIGNATURE_BYTES} bytes`);
  try {
    return await (await loadOpenpgp()).readSignature({ armoredSignature: bytes.toString('utf8') });
  } catch (error) {
    throw malformed(where, `is not an ASCII-armored OpenPGP signature (${(error as Error).message})`, error);
  }
}

function malformed(where: string, problem: string, cause?: unknown): RktError {
  return new RktError('trust', 'ERR_TRUST_SIGNATURE_MALFORMED', `signature ${where} ${problem}`, cause === undefined ? {} : { cause });
}

export interface VerifyRequest {
  file: string;
  signature: Buffer;
  signatureWhere: string;
  imageName: string;
  keys: readonly TrustedKey[];
}

export async function verifyDetachedSignature(request: VerifyRequest): Promise<VerifiedSignature> {
  const { imageName } = request;
  const signature = await readArmoredSignature(request.signature, request.signatureWhere);
  const issuers = signature.getSigningKeyIDs();
  const signer = request.keys.find((trusted) => issuers.some((id) => trusted.key.getKeys(id).length > 0));
  const issuerText = issuers.map((id) => id.toHex()).join(', ') || 'an unknown key';
  if (signer === undefined) {
    throw new RktError('trust', 'ERR_TRUST_KEY_UNTRUSTED', `image ${imageName} is signed by key ${issuerText}, which is not trusted for ${imageName}`, {
      hint: `if you trust that key for this name, add it: rkt trust --prefix=${imageName} KEYFILE`,
    });
  }
  const now = new Date();
  const expires = await signer.key.getExpirationTime().catch(() => null);
  if (expires !== null && expires !== Infinity && (expires as Date).getTime() <= now.getTime()) {
    throw new RktError('trust', 'ERR_TRUST_KEY_EXPIRED', `image ${imageName} is signed by key ${signer.fingerprint} (${signer.file}), which expired on ${(expires as Date).toISOString()}`, {
      hint: 'ask the image\'s publisher for a signature by a current key',
    });
  }
  if (await signer.key.isRevoked()) {
    throw new RktError('trust', 'ERR_TRUST_KEY_REVOKED', `image ${imageName} is signed by key ${signer.fingerprint} (${signer.file}), which is revoked`);
  }
  const message = await (await loadOpenpgp()).createMessage({ binary: Readable.toWeb(createReadStream(request.file)) as unknown as ReadableStream<Uint8Array> });
  try {
    const result = await (await loadOpenpgp()).verify({ message, signature, verificationKeys: [signer.key], format: 'binary', date: now });
    // Streamed input: the signature is checked once all of the data has been read.
    const reader = (result.data as unknown as ReadableStream<Uint8Array>).getReader();
    while (!(await reader.read()).done);
    const checked = result.signatures.filter((entry) => signer.key.getKeys(entry.keyID).length > 0);
    if (checked.length === 0) throw new Error('no signature by the trusted key');
    for (const entry of checked) await entry.verified;
  } catch (error) {
    throw new RktError('trust', 'ERR_TRUST_SIGNATURE_INVALID', `the signature ${request.signatureWhere} by key ${signer.fingerprint} does not verify image ${imageName}: ${(error as Error).message}`, {
      hint: 'the image or its signature was altered, or the signature belongs to another image',
      cause: error,
    });
  }
  return { fingerprint: signer.fingerprint, scope: signer.scope };
}
