/**
 * `rkt fetch` and the fetching half of `rkt run`: finds an image in the store or imports it from its
 * source, as the pull policy says (rkt's): `new` uses the stored image when the name is known and
 * fetches otherwise (run's default), `update` always reads the source again and keeps what is
 * unchanged (fetch's default), `never` only looks in the store. Image IDs (`sha256-…`) are looked up
 * in the store only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RktError } from '../errors/rkt-error.js';
import { parseImageReference } from '../image/image-reference.js';
import { hasBlob } from '../store/blob-store.js';
import { ImageIndex, type ImageRecord } from '../store/image-index.js';
import { prepareStoreDirs } from '../store/store-dirs.js';
import { withStoreInUse } from '../store/store-lock.js';
import { extractLayers, importImage, type BlobProgress } from './import-image.js';
import type { RegistryAccess } from './registry-access.js';
import { resolveStoredImage } from './resolve-stored-image.js';
import { sourceName } from './source-name.js';

export type PullPolicy = 'new' | 'update' | 'never';

export const PULL_POLICIES: readonly PullPolicy[] = ['new', 'update', 'never'];

export function parsePullPolicy(value: string): PullPolicy {
  if ((PULL_POLICIES as readonly string[]).includes(value)) return value as PullPolicy;
  throw new RktError('usage', 'ERR_PULL_POLICY_INVALID', `--pull-policy: unknown policy "${value}"`, { hint: 'use new, update or never' });
}

export interface FetchImageRequest {
  dataDir: string;
  image: string;
  pullPolicy: PullPolicy;
  /** Extract the layers too (needs root); otherwise only blobs and the index are written. */
  extract: boolean;
  onProgress?: (progress: BlobProgress) => void;
  /** For docker:// images: insecure options and credentials; for appc images, also the trust store. */
  registry?: RegistryAccess;
}

export interface FetchedImage {
  record: ImageRecord;
  appNameBase: string;
  /** The image was already in the store and nothing was read from its source. */
  fromStore: boolean;
}

async function isComplete(dataDir: string, index: ImageIndex, record: ImageRecord): Promise<boolean> {
  for (const blob of index.blobsOf(record.id)) if (!(await hasBlob(dataDir, blob.digest, blob.size))) return false;
  return true;
}

/** The layers of a stored image, bottom first, as ensureLayer takes them. */
export function storedLayers(index: ImageIndex, id: string): { digest: string; size: number; mediaType: string; diffId: string }[] {
  return index.blobsOf(id).flatMap((blob) => (blob.role === 'layer' && blob.diffId ? [{ digest: blob.digest, size: blob.size, mediaType: blob.mediaType, diffId: blob.diffId }] : []));
}

export async function fetchImage(request: FetchImageRequest): Promise<FetchedImage> {
  const { dataDir } = request;
  const reference = parseImageReference(request.image);
  const index = await ImageIndex.open(dataDir);
  try {
    return await withStoreInUse(dataDir, async () => {
      if (reference.transport === 'store') {
        const record = resolveStoredImage(index, request.image);
        if (request.extract) await extractLayers(dataDir, storedLayers(index, record.id));
        const appNameBase = record.sourceKind === 'aci' ? (record.name.split(/[:,]/)[0]!.split('/').at(-1) ?? 'app') : (record.name.split(/[/:]/).filter(Boolean).at(-1) ?? 'app');
        return { record, appNameBase, fromStore: true };
      }
      if (reference.transport === 'aci-file' || reference.transport === 'aci-url' || reference.transport === 'appc') {
        const { fetchAppcImage } = await import('./fetch-appc-image.js');
        const fetched = await fetchAppcImage({ dataDir, reference, pullPolicy: request.pullPolicy, extract: request.extract, access: request.registry }, index);
        return { ...fetched, appNameBase: fetched.record.name.split(/[:,]/)[0]!.split('/').at(-1) ?? 'app' };
      }
      const { name, kind, appNameBase } = sourceName(reference);
      if (request.pullPolicy !== 'update') {
        const known = index.findByName(name);
        if (known !== undefined && (await isComplete(dataDir, index, known))) {
          if (request.extract) await extractLayers(dataDir, storedLayers(index, known.id));
          return { record: known, appNameBase, fromStore: true };
        }
        if (request.pullPolicy === 'never') {
          throw new RktError('store', 'ERR_IMAGE_NOT_IN_STORE', `image ${name} is not in the store, and the pull policy is "never"`, {
            hint: 'fetch it first (rkt fetch), or use --pull-policy=new',
          });
        }
      }
      const workDir = await mkdtemp(join((await prepareStoreDirs(dataDir)).tmp, 'source-'));
      try {
        // The sources' code (registry client, HTTP, archives) is loaded only when an image is read.
        const { openImageSource } = await import('./open-image-source.js');
        const image = await openImageSource(reference, workDir, request.registry);
        const record = await importImage({ dataDir, image, name, kind, extract: request.extract, ...(request.onProgress ? { onProgress: request.onProgress } : {}) }, index);
        return { record, appNameBase, fromStore: false };
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
    });
  } finally {
    index.close();
  }
}
