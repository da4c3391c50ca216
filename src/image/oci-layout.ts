/**
 * Reads one image out of an OCI image layout directory: index.json → (nested indexes →) manifest →
 * config, verifying every document's size and digest as it is read and refusing media-type
 * confusion. Layer blobs are only located here; the store verifies them while extracting.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { CONFIG_MEDIA_TYPES, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, layerCompression } from '../schema/media-types.js';
import type { OciDescriptor } from '../schema/oci-descriptor.js';
import { type OciImageConfig, ociImageConfigSchema } from '../schema/oci-image-config.js';
import { ociIndexSchema } from '../schema/oci-index.js';
import { ociLayoutFileSchema } from '../schema/oci-layout-file.js';
import { type OciManifest, ociManifestSchema } from '../schema/oci-manifest.js';
import { MAX_JSON_DOCUMENT_BYTES, parseJsonDocument } from '../schema/parse-json-document.js';
import { hostOciArchitecture, platformMatchesHost } from './oci-platform.js';
import { layoutBlobPath, readLayoutBlob } from './read-layout-blob.js';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** Indexes may nest; real images use one or two levels. */
const MAX_INDEX_DEPTH = 4;

export interface OciImageLayer {
  digest: string;
  size: number;
  mediaType: string;
  diffId: string;
}

export interface OciImage {
  layoutPath: string;
  manifestDigest: string;
  manifestMediaType: string;
  /** The manifest exactly as stored (its digest is manifestDigest). */
  manifestBytes: Buffer;
  manifest: OciManifest;
  configDigest: string;
  configBytes: Buffer;
  config: OciImageConfig;
  /** Bottom to top, as they are stacked. */
  layers: OciImageLayer[];
  blobPath(digest: string): string;
}

export async function readOciImage(layoutPath: string, tag?: string): Promise<OciImage> {
  await checkLayoutMarker(layoutPath);
  const indexPath = join(layoutPath, 'index.json');
  const index = parseJsonDocument(await readSmallFile(indexPath), ociIndexSchema, indexPath);
  const chosen = chooseFromTopIndex(layoutPath, index.manifests, tag);
  const { descriptor, manifest, bytes } = await resolveManifest(layoutPath, chosen, 0);

  const configPath = `config ${manifest.config.digest} in ${layoutPath}`;
  requireMediaType(manifest.config, CONFIG_MEDIA_TYPES, configPath);
  const configBytes = await readLayoutBlob(layoutPath, manifest.config);
  const config = parseJsonDocument(configBytes, ociImageConfigSchema, configPath);
  if (!platformMatchesHost(config)) {
    throw new RktError('image', 'ERR_IMAGE_PLATFORM_MISMATCH', `image in ${layoutPath} is for ${config.os}/${config.architecture}, this host is linux/${hostOciArchitecture()}`);
  }
  return {
    layoutPath,
    manifestDigest: descriptor.digest,
    manifestMediaType: descriptor.mediaType,
    manifestBytes: bytes,
    manifest,
    configDigest: manifest.config.digest,
    configBytes,
    config,
    layers: pairLayersWithDiffIds(layoutPath, manifest, config),
    blobPath: (digest) => layoutBlobPath(layoutPath, digest),
  };
}

async function checkLayoutMarker(layoutPath: string): Promise<void> {
  const info = await stat(layoutPath).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new RktError('image', 'ERR_IMAGE_LAYOUT_NOT_FOUND', `OCI image layout ${layoutPath} does not exist or is not a directory`);
  }
  const markerPath = join(layoutPath, 'oci-layout');
  parseJsonDocument(await readSmallFile(markerPath), ociLayoutFileSchema, markerPath);
}

async function readSmallFile(path: string): Promise<Buffer> {
  const info = await stat(path).catch((error: unknown) => {
    if (isErrnoException(error, 'ENOENT')) {
      throw new RktError('image', 'ERR_IMAGE_LAYOUT_INVALID', `${path} is missing`, {
        hint: 'an OCI image layout has an oci-layout file, index.json and blobs/',
      });
    }
    throw error;
  });
  if (info.size > MAX_JSON_DOCUMENT_BYTES) {
    throw new RktError('image', 'ERR_IMAGE_DOCUMENT_INVALID', `${path} is ${info.size} bytes, more than the limit of ${MAX_JSON_DOCUMENT_BYTES}`);
  }
  return readFile(path);
}

function tagsOf(descriptors: OciDescriptor[]): string[] {
  return [...new Set(descriptors.flatMap((d) => d.annotations?.[REF_NAME_ANNOTATION] ?? []))];
}

function describeTags(descriptors: OciDescriptor[]): string {
  const tags = tagsOf(descriptors);
  return tags.length > 0 ? `tags present: ${tags.join(', ')}` : 'the layout has no tagged images';
}

/** index.json: by tag if one was given, else the only entry there is. */
function chooseFromTopIndex(layoutPath: string, descriptors: OciDescriptor[], tag: string | undefined): OciDescriptor {
  if (tag !== undefined) {
    const tagged = descriptors.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === tag);
    if (tagged.length === 0) {
      throw new RktError('image', 'ERR_IMAGE_TAG_NOT_FOUND', `tag ${JSON.stringify(tag)} not found in OCI image layout ${layoutPath}`, {
        hint: describeTags(descriptors),
      });
    }
    return chooseForPlatform(layoutPath, tagged, `tag ${tag}`);
  }
  if (descriptors.length === 0) {
    throw new RktError('image', 'ERR_IMAGE_LAYOUT_INVALID', `${join(layoutPath, 'index.json')} lists no images`);
  }
  if (descriptors.length > 1) {
    throw new RktError('image', 'ERR_IMAGE_TAG_REQUIRED', `OCI image layout ${layoutPath} holds ${descriptors.length} images; name one with oci:PATH:TAG`, {
      hint: describeTags(descriptors),
    });
  }
  return descriptors[0] as OciDescriptor;
}

/** Among several candidates, the one whose platform matches this host. */
function chooseForPlatform(layoutPath: string, candidates: OciDescriptor[], what: string): OciDescriptor {
  if (candidates.length === 1) return candidates[0] as OciDescriptor;
  const matching = candidates.filter((d) => d.platform !== undefined && platformMatchesHost(d.platform));
  if (matching.length === 1) return matching[0] as OciDescriptor;
  const platforms = candidates.map((d) => (d.platform ? `${d.platform.os}/${d.platform.architecture}` : 'unspecified')).join(', ');
  throw new RktError('image', 'ERR_IMAGE_PLATFORM_MISMATCH', `${what} in ${layoutPath}: ${matching.length === 0 ? 'no' : 'more than one'} image for linux/${hostOciArchitecture()}`, {
    hint: `platforms present: ${platforms}`,
  });
}

async function resolveManifest(layoutPath: string, descriptor: OciDescriptor, depth: number): Promise<{ descriptor: OciDescriptor; manifest: OciManifest; bytes: Buffer }> {
  const where = `${descriptor.mediaType} ${descriptor.digest} in ${layoutPath}`;
  if (INDEX_MEDIA_TYPES.includes(descriptor.mediaType)) {
    if (depth >= MAX_INDEX_DEPTH) {
      throw new RktError('image', 'ERR_IMAGE_LAYOUT_INVALID', `${where}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    }
    const index = parseJsonDocument(await readLayoutBlob(layoutPath, descriptor), ociIndexSchema, where);
    checkDeclaredMediaType(index.mediaType, descriptor.mediaType, where);
    const platformEntries = index.manifests.filter((d) => d.platform !== undefined);
    const next = chooseForPlatform(layoutPath, platformEntries.length > 0 ? platformEntries : index.manifests, `index ${descriptor.digest}`);
    return resolveManifest(layoutPath, next, depth + 1);
  }
  requireMediaType(descriptor, MANIFEST_MEDIA_TYPES, where);
  const bytes = await readLayoutBlob(layoutPath, descriptor);
  const manifest = parseJsonDocument(bytes, ociManifestSchema, where);
  checkDeclaredMediaType(manifest.mediaType, descriptor.mediaType, where);
  return { descriptor, manifest, bytes };
}

function requireMediaType(descriptor: OciDescriptor, allowed: readonly string[], where: string): void {
  if (!allowed.includes(descriptor.mediaType)) {
    throw new RktError('image', 'ERR_IMAGE_MEDIA_TYPE', `${where}: media type ${descriptor.mediaType} is not one of ${allowed.join(', ')}`);
  }
}

/** A document that names its own media type must agree with the descriptor that led to it. */
function checkDeclaredMediaType(declared: string | undefined, expected: string, where: string): void {
  if (declared !== undefined && declared !== expected) {
    throw new RktError('image', 'ERR_IMAGE_MEDIA_TYPE', `${where}: the document says it is ${declared}`);
  }
}

export function pairLayersWithDiffIds(layoutPath: string, manifest: OciManifest, config: OciImageConfig): OciImageLayer[] {
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new RktError('image', 'ERR_IMAGE_LAYOUT_INVALID', `image in ${layoutPath}: the manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length} diff_ids`);
  }
  return manifest.layers.map((layer, i) => {
    if (layerCompression(layer.mediaType) === undefined) {
      throw new RktError('image', 'ERR_IMAGE_MEDIA_TYPE', `layer ${layer.digest} in ${layoutPath}: ${layer.mediaType} is not a layer media type`);
    }
    return { digest: layer.digest, size: layer.size, mediaType: layer.mediaType, diffId: diffIds[i] as string };
  });
}
