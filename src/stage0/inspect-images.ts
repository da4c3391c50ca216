/** Read-only questions about stored images: list them, print a manifest, re-hash their blobs. */
import { isAppcRecord } from '../schema/media-types.js';
import { ImageIndex, type ImageRecord } from '../store/image-index.js';
import { checkExtractedLayer } from '../store/layer-store.js';
import { checkStoredBlob, readStoredBlob } from '../store/stored-blob.js';
import { resolveStoredImage } from './resolve-stored-image.js';

/** Opens the index for reading; a store that does not exist has no images (nothing is created). */
export async function withExistingIndex<T>(dataDir: string, empty: T, work: (index: ImageIndex) => Promise<T>): Promise<T> {
  const index = await ImageIndex.openExisting(dataDir);
  if (index === undefined) return empty;
  try {
    return await work(index);
  } finally {
    index.close();
  }
}

export function listImages(dataDir: string): Promise<ImageRecord[]> {
  return withExistingIndex(dataDir, [], async (index) => index.list());
}

export async function imageManifest(dataDir: string, argument: string): Promise<Buffer> {
  const index = await ImageIndex.openForLookup(dataDir);
  try {
    const image = resolveStoredImage(index, argument);
    // An appc image's ID is its ACI's digest; its manifest is a blob of its own.
    return await readStoredBlob(dataDir, isAppcRecord(image) ? image.configDigest : image.id);
  } finally {
    index.close();
  }
}

export interface ImageVerification {
  image: ImageRecord;
  problems: string[];
  blobsChecked: number;
  layersExtracted: number;
  layersTotal: number;
}

/** Re-hashes every blob of each image; checks its extracted layers' trees against their seals and counts them. */
export async function verifyImages(dataDir: string, argumentsGiven: readonly string[]): Promise<ImageVerification[]> {
  const index = await ImageIndex.openForLookup(dataDir);
  try {
    const results: ImageVerification[] = [];
    for (const argument of argumentsGiven) {
      const image = resolveStoredImage(index, argument);
      const blobs = index.blobsOf(image.id);
      const problems: string[] = [];
      let layersExtracted = 0;
      for (const blob of blobs) {
        const check = await checkStoredBlob(dataDir, blob.digest, blob.size);
        if (!check.ok) problems.push(check.problem);
        if (blob.diffId !== undefined) {
          const layer = await checkExtractedLayer(dataDir, blob.diffId);
          if (layer.extracted) layersExtracted++;
          problems.push(...layer.problems);
        }
      }
      results.push({ image, problems, blobsChecked: blobs.length, layersExtracted, layersTotal: blobs.filter((b) => b.role === 'layer').length });
    }
    return results;
  } finally {
    index.close();
  }
}
