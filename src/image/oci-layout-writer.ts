/**
 * rkt's own OCI image layout writer: builds layers from entry lists, the config (with diff_ids of
 * the uncompressed tars), the manifest, index.json and oci-layout. Used to build the sample image
 * and, in tests, images with hostile layers. Writing a second tag into the same directory adds it
 * to index.json (replacing an entry with the same tag).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isErrnoException } from '../errors/rkt-error.js';
import { MEDIA_TYPE } from '../schema/media-types.js';
import type { OciDescriptor } from '../schema/oci-descriptor.js';
import type { OciExecConfig, OciImageConfig } from '../schema/oci-image-config.js';
import type { OciIndex } from '../schema/oci-index.js';
import type { OciManifest } from '../schema/oci-manifest.js';
import { REF_NAME_ANNOTATION } from './oci-layout.js';
import { hostOciArchitecture } from './oci-platform.js';
import { type LayerEntry, packLayerTar } from './pack-layer-tar.js';

/** A layer from entries, or (for interoperability tests) a tar someone else made. */
export type LayerSpec = ({ files: LayerEntry[] } | { tar: Buffer }) & { compression?: 'gzip' | 'zstd' | 'none' };

export interface WriteOciLayoutOptions {
  dir: string;
  tag: string;
  layers: LayerSpec[];
  config: OciExecConfig;
  architecture?: string;
  os?: string;
}

export interface WrittenOciLayout {
  manifestDigest: string;
  configDigest: string;
  layers: { digest: string; diffId: string; size: number; mediaType: string }[];
}

export async function writeOciLayout(options: WriteOciLayoutOptions): Promise<WrittenOciLayout> {
  const { dir } = options;
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

  const layers: WrittenOciLayout['layers'] = [];
  for (const spec of options.layers) {
    const tar = 'tar' in spec ? spec.tar : await packLayerTar(spec.files);
    const compression = spec.compression ?? 'gzip';
    const blob = await writeBlob(dir, compress(tar, compression));
    const mediaType = { gzip: MEDIA_TYPE.ociLayerGzip, zstd: MEDIA_TYPE.ociLayerZstd, none: MEDIA_TYPE.ociLayerTar }[compression];
    layers.push({ ...blob, diffId: sha256(tar), mediaType });
  }

  const config: OciImageConfig = {
    architecture: options.architecture ?? hostOciArchitecture(),
    os: options.os ?? 'linux',
    config: options.config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  const configBlob = await writeBlob(dir, Buffer.from(JSON.stringify(config)));
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: { mediaType: MEDIA_TYPE.ociConfig, ...configBlob },
    layers: layers.map(({ digest, size, mediaType }) => ({ mediaType, digest, size })),
  };
  const manifestBlob = await writeBlob(dir, Buffer.from(JSON.stringify(manifest)));
  await addToIndex(dir, {
    mediaType: MEDIA_TYPE.ociManifest,
    ...manifestBlob,
    annotations: { [REF_NAME_ANNOTATION]: options.tag },
  });
  return { manifestDigest: manifestBlob.digest, configDigest: configBlob.digest, layers };
}

/** zstd through Debian's `zstd` tool, as the store reads it (src/store/zstd-decompressor.ts). */
function compress(tar: Buffer, compression: 'gzip' | 'zstd' | 'none'): Buffer {
  if (compression === 'gzip') return gzipSync(tar);
  if (compression === 'zstd') return execFileSync('zstd', ['--stdout', '--quiet'], { input: tar, maxBuffer: 1 << 30 });
  return tar;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function writeBlob(dir: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  return { digest, size: bytes.length };
}

async function addToIndex(dir: string, entry: OciDescriptor): Promise<void> {
  const path = join(dir, 'index.json');
  let index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [] };
  try {
    index = JSON.parse(await readFile(path, 'utf8')) as OciIndex;
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
  }
  const tag = entry.annotations?.[REF_NAME_ANNOTATION];
  index.manifests = [...index.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== tag), entry];
  await writeFile(path, JSON.stringify(index));
}
