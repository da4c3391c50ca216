/**
 * Puts an image into the store: its manifest, config and layer blobs into `cas/blobs` (verified,
 * resumable, layers several at a time), its record into the index, and, when asked (which needs
 * root), its layers extracted into `cas/layers`.
 */
import type { ImportableImage } from '../image/importable-image.js';
import { blobPath, ingestBlob } from '../store/blob-store.js';
import type { ImageIndex, ImageRecord, SourceKind, StoredBlobRecord } from '../store/image-index.js';
import { ensureLayer } from '../store/layer-store.js';
import { bytesBlobOpener } from '../store/stored-blob.js';

/** Layers downloaded or copied at once. */
const PARALLEL_BLOBS = 3;

export interface BlobProgress {
  digest: string;
  role: StoredBlobRecord['role'];
  stored: number;
  total: number;
}

export interface ImportRequest {
  dataDir: string;
  image: ImportableImage;
  name: string;
  kind: SourceKind;
  extract: boolean;
  onProgress?: (progress: BlobProgress) => void;
  signal?: AbortSignal;
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

export async function importImage(request: ImportRequest, index: ImageIndex): Promise<ImageRecord> {
  const { dataDir, image } = request;
  const progress = (digest: string, role: BlobProgress['role']) => (stored: number, total: number) => request.onProgress?.({ digest, role, stored, total });
  await ingestBlob({ dataDir, digest: image.manifestDigest, size: image.manifestBytes.length, open: bytesBlobOpener(image.manifestBytes) });
  const config = image.configDescriptor;
  await ingestBlob({ dataDir, digest: config.digest, size: config.size, open: bytesBlobOpener(image.configBytes), onProgress: progress(config.digest, 'config') });
  await inParallel(image.layers, PARALLEL_BLOBS, async (layer) => {
    await ingestBlob({
      dataDir,
      digest: layer.digest,
      size: layer.size,
      open: (offset, signal) => image.openBlob(layer.digest, offset, signal),
      onProgress: progress(layer.digest, 'layer'),
      ...(request.signal ? { signal: request.signal } : {}),
    });
  });
  if (request.extract) await extractLayers(dataDir, image.layers);
  return index.recordImage({
    id: image.manifestDigest,
    name: request.name,
    sourceKind: request.kind,
    manifestMediaType: image.manifestMediaType,
    configDigest: config.digest,
    now: Date.now(),
    blobs: [
      { role: 'manifest', digest: image.manifestDigest, size: image.manifestBytes.length, mediaType: image.manifestMediaType },
      { role: 'config', ...config },
      ...image.layers.map((layer) => ({ role: 'layer' as const, ...layer })),
    ],
  });
}

/**
 * Extracts the layers from their stored blobs (once per diff_id, and per appc pathWhitelist);
 * returns their rootfs directories.
 */
export function extractLayers(dataDir: string, layers: readonly { digest: string; size: number; mediaType: string; diffId: string; pathWhitelist?: readonly string[] }[]): Promise<string[]> {
  return Promise.all(layers.map((layer) => ensureLayer({ dataDir, blobPath: blobPath(dataDir, layer.digest), ...layer })));
}
