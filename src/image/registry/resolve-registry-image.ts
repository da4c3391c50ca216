/**
 * From a docker reference to the one image manifest for this host: follows an OCI index or Docker
 * manifest list to the entry for linux/<this arch> (nested up to MAX_INDEX_DEPTH), fetching each
 * child by digest (so the client verifies it) and checking it is the size and media type its
 * descriptor says. Refuses media-type confusion (an index served as a manifest or the reverse, a
 * document declaring another type than it was served as), unknown config and layer types, and more
 * than 128 layers (the manifest schema). Config and layers are returned as descriptors; the caller
 * downloads and verifies them.
 */
import { RktError } from '../../errors/rkt-error.js';
import { CONFIG_MEDIA_TYPES, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, layerCompression } from '../../schema/media-types.js';
import type { OciDescriptor } from '../../schema/oci-descriptor.js';
import { ociIndexSchema } from '../../schema/oci-index.js';
import { type OciManifest, ociManifestSchema } from '../../schema/oci-manifest.js';
import { parseJsonDocument } from '../../schema/parse-json-document.js';
import { type DockerReference, formatDockerReference } from '../docker-reference.js';
import { hostOciArchitecture, platformMatchesHost } from '../oci-platform.js';
import type { ManifestResponse, RegistryClient } from './registry-client.js';

export interface RegistryBlobDescriptor {
  digest: string;
  size: number;
  mediaType: string;
}

export interface RegistryImage {
  reference: DockerReference;
  /** The digest of the platform manifest (not of the index that led to it). */
  manifestDigest: string;
  manifestBytes: Buffer;
  manifest: OciManifest;
  config: RegistryBlobDescriptor;
  /** Bottom to top. */
  layers: RegistryBlobDescriptor[];
  /** The index or manifest list the reference named, when there was one. */
  indexDigest?: string;
}

const MAX_INDEX_DEPTH = 4;

export async function resolveRegistryImage(client: RegistryClient, ref: DockerReference): Promise<RegistryImage> {
  const name = formatDockerReference(ref);
  const reference = ref.digest ?? ref.tag ?? 'latest';
  let response = await client.getManifest(ref.repository, reference);
  let indexDigest: string | undefined;
  for (let depth = 0; INDEX_MEDIA_TYPES.includes(response.mediaType); depth++) {
    const where = `${name}: index ${response.digest}`;
    if (depth >= MAX_INDEX_DEPTH) throw invalid(`${where}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    indexDigest ??= response.digest;
    const index = parseJsonDocument(response.bytes, ociIndexSchema, where);
    checkDeclared(index.mediaType, response.mediaType, where);
    const chosen = chooseForHost(index.manifests, where);
    if (![...INDEX_MEDIA_TYPES, ...MANIFEST_MEDIA_TYPES].includes(chosen.mediaType)) {
      throw mediaType(`${where}: entry ${chosen.digest} has media type ${chosen.mediaType}, not a manifest or index`);
    }
    const child = await client.getManifest(ref.repository, chosen.digest);
    checkAgainstDescriptor(child, chosen, `${name}: manifest ${chosen.digest}`);
    response = child;
  }
  const where = `${name}: manifest ${response.digest}`;
  const manifest = parseJsonDocument(response.bytes, ociManifestSchema, where);
  checkDeclared(manifest.mediaType, response.mediaType, where);
  if (!CONFIG_MEDIA_TYPES.includes(manifest.config.mediaType)) {
    throw mediaType(`${where}: config media type ${manifest.config.mediaType} is not one of ${CONFIG_MEDIA_TYPES.join(', ')}`);
  }
  for (const layer of manifest.layers) {
    if (layerCompression(layer.mediaType) === undefined) throw mediaType(`${where}: layer ${layer.digest}: ${layer.mediaType} is not a layer media type`);
  }
  return {
    reference: ref,
    manifestDigest: response.digest,
    manifestBytes: response.bytes,
    manifest,
    config: pick(manifest.config),
    layers: manifest.layers.map(pick),
    ...(indexDigest !== undefined ? { indexDigest } : {}),
  };
}

function pick(descriptor: OciDescriptor): RegistryBlobDescriptor {
  return { digest: descriptor.digest, size: descriptor.size, mediaType: descriptor.mediaType };
}

function chooseForHost(entries: OciDescriptor[], where: string): OciDescriptor {
  const withPlatform = entries.filter((d) => d.platform !== undefined);
  const candidates = withPlatform.length > 0 ? withPlatform : entries;
  const matching = candidates.length === 1 && withPlatform.length === 0 ? candidates : candidates.filter((d) => d.platform !== undefined && platformMatchesHost(d.platform));
  // Several entries for this platform (variants, attestations marked unknown/unknown are filtered
  // out by the platform check): the first is the one the index's author listed first, as Docker picks.
  const chosen = matching[0];
  if (chosen) return chosen;
  const platforms = candidates.map((d) => (d.platform ? `${d.platform.os}/${d.platform.architecture}` : 'unspecified')).join(', ');
  throw new RktError('image', 'ERR_IMAGE_PLATFORM_MISMATCH', `${where}: no image for linux/${hostOciArchitecture()}`, { hint: `platforms present: ${platforms || 'none'}` });
}

function checkAgainstDescriptor(child: ManifestResponse, descriptor: OciDescriptor, where: string): void {
  if (child.bytes.length !== descriptor.size) {
    throw new RktError('image', 'ERR_IMAGE_BLOB_SIZE_MISMATCH', `${where}: ${child.bytes.length} bytes, but the index says ${descriptor.size}`);
  }
  if (child.mediaType !== descriptor.mediaType) throw mediaType(`${where}: served as ${child.mediaType}, but the index says ${descriptor.mediaType}`);
}

function checkDeclared(declared: string | undefined, servedAs: string, where: string): void {
  if (declared !== undefined && declared !== servedAs) throw mediaType(`${where}: served as ${servedAs}, but the document says it is ${declared}`);
}

function mediaType(message: string): RktError {
  return new RktError('image', 'ERR_IMAGE_MEDIA_TYPE', message);
}

function invalid(message: string): RktError {
  return new RktError('image', 'ERR_IMAGE_DOCUMENT_INVALID', message);
}
