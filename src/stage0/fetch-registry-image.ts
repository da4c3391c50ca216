/**
 * docker:// images: the one module that uses the registry client (src/image/docker-reference.ts and
 * src/image/registry/*, from the registry branch). It resolves the reference to a manifest (indexes
 * and platform selection are the client's), reads the small config blob, and returns the image as an
 * ImportableImage whose blobs are read through `client.getBlob(…, { offset })`. importImage then
 * does the rest as for every other source: config and layers into the blob store, several at once,
 * each resumed from the partial file a killed or cut-off download left in cas/ingest/, digests and
 * sizes checked before anything is renamed into place, then the layers extracted by ensureLayer from
 * the stored blobs.
 */
import { createHash } from 'node:crypto';
import { RktError } from '../errors/rkt-error.js';
import { formatDockerReference, parseDockerReference } from '../image/docker-reference.js';
import type { ImportableImage } from '../image/importable-image.js';
import { pairLayersWithDiffIds } from '../image/oci-layout.js';
import { hostOciArchitecture, platformMatchesHost } from '../image/oci-platform.js';
import { RegistryClient } from '../image/registry/registry-client.js';
import { resolveRegistryImage } from '../image/registry/resolve-registry-image.js';
import { MEDIA_TYPE } from '../schema/media-types.js';
import { ociImageConfigSchema } from '../schema/oci-image-config.js';
import { MAX_JSON_DOCUMENT_BYTES, parseJsonDocument } from '../schema/parse-json-document.js';
import type { RegistryAccess } from './registry-access.js';

/** The name a docker:// image is recorded under: the normalized reference (Docker Hub's defaults applied). */
function digestOf(bytes: Buffer, digest: string): string {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The config blob, whole, checked against its descriptor; a registry that sends more is cut off. */
async function readConfig(client: RegistryClient, repository: string, descriptor: { digest: string; size: number }, where: string): Promise<Buffer> {
  if (descriptor.size > MAX_JSON_DOCUMENT_BYTES) {
    throw new RktError('image', 'ERR_IMAGE_DOCUMENT_INVALID', `config ${descriptor.digest} of ${where} claims ${descriptor.size} bytes, more than the limit of ${MAX_JSON_DOCUMENT_BYTES}`);
  }
  const { stream } = await client.getBlob(repository, descriptor.digest);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > descriptor.size) break;
    chunks.push(bytes);
  }
  const bytes = Buffer.concat(chunks);
  if (total !== descriptor.size) {
    throw new RktError('store', 'ERR_STORE_BLOB_SIZE_MISMATCH', `config ${descriptor.digest} of ${where}: the registry sent ${total > descriptor.size ? 'more' : 'fewer'} than the ${descriptor.size} bytes expected`);
  }
  const actual = digestOf(bytes, descriptor.digest);
  if (actual !== descriptor.digest) {
    throw new RktError('store', 'ERR_STORE_DIGEST_MISMATCH', `config of ${where} has digest ${actual}, expected ${descriptor.digest}`, { hint: 'the registry is corrupt or was tampered with' });
  }
  return bytes;
}

export async function openRegistrySource(text: string, access: RegistryAccess): Promise<ImportableImage> {
  const requested = parseDockerReference(text);
  const client = new RegistryClient(requested.registry, { insecureHttp: access.insecureHttp, insecureTls: access.insecureTls, credentialsFor: access.credentialsFor });
  const image = await resolveRegistryImage(client, requested);
  const where = `docker://${formatDockerReference(image.reference)}`;
  const repository = image.reference.repository;
  // The client checks this already; the image ID rests on it, so it is checked here as well.
  if (digestOf(image.manifestBytes, image.manifestDigest) !== image.manifestDigest) {
    throw new RktError('store', 'ERR_STORE_DIGEST_MISMATCH', `manifest of ${where} does not have digest ${image.manifestDigest}`, { hint: 'the registry is corrupt or was tampered with' });
  }
  const configBytes = await readConfig(client, repository, image.config, where);
  const config = parseJsonDocument(configBytes, ociImageConfigSchema, `config ${image.config.digest} of ${where}`);
  if (!platformMatchesHost(config)) {
    throw new RktError('image', 'ERR_IMAGE_PLATFORM_MISMATCH', `image ${where} is for ${config.os}/${config.architecture}, this host is linux/${hostOciArchitecture()}`);
  }
  return {
    manifestDigest: image.manifestDigest,
    manifestMediaType: image.manifest.mediaType ?? MEDIA_TYPE.ociManifest,
    manifestBytes: image.manifestBytes,
    manifest: image.manifest,
    configDescriptor: image.config,
    configBytes,
    config,
    layers: pairLayersWithDiffIds(where, image.manifest, config),
    openBlob: async (digest, offset, signal) => {
      const blob = await client.getBlob(repository, digest, { offset, ...(signal ? { signal } : {}) });
      return { stream: blob.stream, offset: blob.offset };
    },
  };
}
