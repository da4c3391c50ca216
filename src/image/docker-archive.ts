/**
 * `docker-archive:PATH[:NAME:TAG]`: what `docker save` (and `skopeo copy … docker-archive:`) writes:
 * `manifest.json` listing, per image, its config file, its RepoTags and its layer tars. The archive is
 * unpacked through the checks of unpackImageArchive; the image is then described as an OCI image: the
 * config as is, each layer tar as a layer blob (digest and size measured here, gzip recognised by its
 * magic number), and an OCI manifest made from those, whose digest becomes the image ID (the same
 * archive always gives the same ID).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { RktError } from '../errors/rkt-error.js';
import { MEDIA_TYPE } from '../schema/media-types.js';
import { ociImageConfigSchema } from '../schema/oci-image-config.js';
import { MAX_LAYERS, type OciManifest } from '../schema/oci-manifest.js';
import { MAX_JSON_DOCUMENT_BYTES, parseJsonDocument } from '../schema/parse-json-document.js';
import type { ImportableImage } from './importable-image.js';
import { hostOciArchitecture, platformMatchesHost } from './oci-platform.js';
import { pairLayersWithDiffIds } from './oci-layout.js';
import { resolveArchiveFile, unpackImageArchive } from './unpack-image-archive.js';

const dockerArchiveManifestSchema = z
  .array(
    z.object({
      Config: z.string(),
      RepoTags: z.nullish(z.array(z.string())),
      Layers: z.array(z.string()).check(z.maxLength(MAX_LAYERS)),
    }),
  )
  .check(z.minLength(1), z.maxLength(1000));

function invalid(archivePath: string, message: string, hint?: string): RktError {
  return new RktError('image', 'ERR_IMAGE_ARCHIVE_INVALID', `docker archive ${archivePath}: ${message}`, hint ? { hint } : {});
}

async function readSmall(path: string, archivePath: string, name: string): Promise<Buffer> {
  const info = await stat(path);
  if (info.size > MAX_JSON_DOCUMENT_BYTES) throw invalid(archivePath, `${name} is ${info.size} bytes, more than the limit of ${MAX_JSON_DOCUMENT_BYTES}`);
  return readFile(path);
}

async function measure(path: string): Promise<{ digest: string; size: number; gzip: boolean }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const head = Buffer.alloc(2);
  const handle = await open(path, 'r');
  await handle.read(head, 0, 2, 0).finally(() => handle.close());
  return { digest: `sha256:${hash.digest('hex')}`, size, gzip: head[0] === 0x1f && head[1] === 0x8b };
}

export interface DockerArchiveImage extends ImportableImage {
  repoTags: string[];
}

export async function readDockerArchive(archivePath: string, repoTag: string | undefined, workDir: string): Promise<DockerArchiveImage> {
  const unpacked = await unpackImageArchive({ archivePath, destDir: workDir, keep: () => true });
  const fileOf = (name: string) => join(workDir, ...resolveArchiveFile(unpacked, name, archivePath).split('/'));
  const entries = parseJsonDocument(await readSmall(fileOf('manifest.json'), archivePath, 'manifest.json'), dockerArchiveManifestSchema, `manifest.json in ${archivePath}`);
  const tags = (entry: (typeof entries)[number]) => entry.RepoTags ?? [];
  const candidates = repoTag === undefined ? entries : entries.filter((entry) => tags(entry).includes(repoTag));
  if (candidates.length !== 1) {
    const present = entries.flatMap(tags).join(', ') || 'none';
    throw invalid(archivePath, repoTag === undefined ? `holds ${entries.length} images; name one with docker-archive:PATH:NAME:TAG` : `no image is tagged ${repoTag}`, `tags present: ${present}`);
  }
  const entry = candidates[0]!;
  const configBytes = await readSmall(fileOf(entry.Config), archivePath, entry.Config);
  const config = parseJsonDocument(configBytes, ociImageConfigSchema, `config ${entry.Config} in ${archivePath}`);
  if (!platformMatchesHost(config)) {
    throw new RktError('image', 'ERR_IMAGE_PLATFORM_MISMATCH', `image in ${archivePath} is for ${config.os}/${config.architecture}, this host is linux/${hostOciArchitecture()}`);
  }
  const layerFiles = new Map<string, string>();
  const layerDescriptors = [];
  for (const name of entry.Layers) {
    const path = fileOf(name);
    const { digest, size, gzip } = await measure(path);
    layerFiles.set(digest, path);
    layerDescriptors.push({ mediaType: gzip ? MEDIA_TYPE.ociLayerGzip : MEDIA_TYPE.ociLayerTar, digest, size });
  }
  const configDescriptor = { mediaType: MEDIA_TYPE.ociConfig, digest: `sha256:${createHash('sha256').update(configBytes).digest('hex')}`, size: configBytes.length };
  const manifest: OciManifest = { schemaVersion: 2, mediaType: MEDIA_TYPE.ociManifest, config: configDescriptor, layers: layerDescriptors };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    manifestDigest: `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`,
    manifestMediaType: MEDIA_TYPE.ociManifest,
    manifestBytes,
    manifest,
    configDescriptor,
    configBytes,
    config,
    layers: pairLayersWithDiffIds(archivePath, manifest, config),
    repoTags: tags(entry),
    openBlob: async (digest, offset) => {
      const path = layerFiles.get(digest);
      if (path === undefined) throw invalid(archivePath, `has no blob ${digest}`);
      return { stream: createReadStream(path, { start: offset }), offset };
    },
  };
}
