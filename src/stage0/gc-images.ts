/**
 * `rkt image gc` and `rkt image rm`: remove images from the index, then sweep the store of blobs and
 * layers no remaining image needs, all under the exclusive store lock. An image any pod uses (its pod
 * manifest names it) is never removed: gc skips it, rm refuses it.
 */
import { RktError } from '../errors/rkt-error.js';
import { ImageIndex, type ImageRecord } from '../store/image-index.js';
import { withStoreExclusive } from '../store/store-lock.js';
import { sweepStore, type SweepResult } from '../store/sweep-store.js';
import { imagesUsedByPods } from './images-used-by-pods.js';
import { formatImageId, resolveStoredImage } from './resolve-stored-image.js';

export type ImageRemoval = { kind: 'removed'; image: ImageRecord } | { kind: 'kept'; image: ImageRecord; reason: string } | { kind: 'failed'; argument: string; error: RktError };

export interface ImageGcResult {
  removals: ImageRemoval[];
  sweep: SweepResult;
}

async function withIndex<T>(dataDir: string, work: (index: ImageIndex) => Promise<T>): Promise<T | undefined> {
  const index = await ImageIndex.openExisting(dataDir);
  if (index === undefined) return undefined;
  try {
    return await withStoreExclusive(dataDir, () => work(index));
  } finally {
    index.close();
  }
}

async function sweep(dataDir: string, index: ImageIndex, used: Set<string>, ingestGraceMs: number): Promise<SweepResult> {
  const live = index.liveContent();
  // A pod that names an image the index does not know (made before the index, or by hand) may stack
  // any layer: then no layer is deleted.
  const unknownInUse = [...used].some((id) => index.get(id) === undefined);
  return sweepStore({ dataDir, liveDigests: live.digests, liveDiffIds: live.diffIds, sweepLayers: !unknownInUse, ingestGraceMs });
}

const EMPTY: ImageGcResult = { removals: [], sweep: { blobs: [], layers: [], leftovers: 0 } };

export async function gcImages(dataDir: string, gracePeriodMs: number, now = Date.now()): Promise<ImageGcResult> {
  const result = await withIndex(dataDir, async (index) => {
    const used = imagesUsedByPods(dataDir);
    const removals: ImageRemoval[] = [];
    for (const image of index.list()) {
      if (now - image.lastUsed < gracePeriodMs) continue;
      if (used.has(image.id)) removals.push({ kind: 'kept', image, reason: 'a pod uses it' });
      else removals.push({ kind: 'removed', image });
    }
    index.remove(removals.flatMap((r) => (r.kind === 'removed' ? [r.image.id] : [])));
    return { removals, sweep: await sweep(dataDir, index, used, gracePeriodMs) };
  });
  return result ?? EMPTY;
}

export async function removeImages(dataDir: string, argumentsGiven: readonly string[]): Promise<ImageGcResult> {
  const result = await withIndex(dataDir, async (index) => {
    const used = imagesUsedByPods(dataDir);
    const removals: ImageRemoval[] = [];
    for (const argument of argumentsGiven) {
      try {
        const image = resolveStoredImage(index, argument);
        if (used.has(image.id)) {
          throw new RktError('store', 'ERR_IMAGE_IN_USE', `image ${formatImageId(image.id, true)} (${image.name}) is used by a pod`, {
            hint: 'remove the pods that use it first (rkt rm, rkt gc)',
          });
        }
        index.remove([image.id]);
        removals.push({ kind: 'removed', image });
      } catch (error) {
        if (!(error instanceof RktError)) throw error;
        removals.push({ kind: 'failed', argument, error });
      }
    }
    return { removals, sweep: await sweep(dataDir, index, used, Number.POSITIVE_INFINITY) };
  });
  if (result === undefined) {
    return { ...EMPTY, removals: argumentsGiven.map((argument) => ({ kind: 'failed', argument, error: new RktError('store', 'ERR_IMAGE_NOT_IN_STORE', `no image ${JSON.stringify(argument)} in the store`) })) };
  }
  return result;
}
