/** An image as the store holds it: its index record and its manifest and config, read from the blobs. */
import { RktError } from '../errors/rkt-error.js';
import { type OciImageConfig, ociImageConfigSchema } from '../schema/oci-image-config.js';
import { type OciManifest, ociManifestSchema } from '../schema/oci-manifest.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';
import type { ImageIndex, ImageRecord, StoredBlobRecord } from './image-index.js';
import { readStoredBlob } from './stored-blob.js';

export interface StoredLayer {
  digest: string;
  size: number;
  mediaType: string;
  diffId: string;
}

export interface StoredImage {
  record: ImageRecord;
  manifestBytes: Buffer;
  manifest: OciManifest;
  configBytes: Buffer;
  config: OciImageConfig;
  layers: StoredLayer[];
  blobs: StoredBlobRecord[];
}

export async function loadStoredImage(dataDir: string, index: ImageIndex, id: string): Promise<StoredImage> {
  const record = index.get(id);
  if (record === undefined) throw new RktError('store', 'ERR_IMAGE_NOT_IN_STORE', `image ${id.replace(':', '-')} is not in the store`);
  const blobs = index.blobsOf(id);
  const manifestBytes = await readStoredBlob(dataDir, id);
  const manifest = parseJsonDocument(manifestBytes, ociManifestSchema, `stored manifest ${id}`);
  const configBytes = await readStoredBlob(dataDir, record.configDigest);
  const config = parseJsonDocument(configBytes, ociImageConfigSchema, `stored config ${record.configDigest}`);
  const layers = blobs.filter((blob) => blob.role === 'layer').map((blob) => ({ digest: blob.digest, size: blob.size, mediaType: blob.mediaType, diffId: blob.diffId ?? '' }));
  return { record, manifestBytes, manifest, configBytes, config, layers, blobs };
}
