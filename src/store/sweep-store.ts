/**
 * Deletes from the store what no image needs: blobs whose digest no image lists, extracted layers
 * (with their cuts to appc pathWhitelists) whose diff_id no image lists, partial downloads older
 * than the grace period, and what killed extractions and imports left in the temporary
 * directories. The caller holds the store lock exclusively, so no fetch or run is using any of it.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DIGEST_PATTERN } from '../schema/digest.js';
import { blobPath } from './blob-store.js';
import { listStoredBlobs } from './stored-blob.js';
import { storeDirs } from './store-dirs.js';

export interface SweepRequest {
  dataDir: string;
  liveDigests: Set<string>;
  liveDiffIds: Set<string>;
  /** When false, no extracted layer is deleted (some pod uses an image the index does not know). */
  sweepLayers: boolean;
  /** Partial downloads untouched for longer than this are deleted. */
  ingestGraceMs: number;
}

export interface SweepResult {
  blobs: string[];
  layers: string[];
  leftovers: number;
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

export async function sweepStore(request: SweepRequest): Promise<SweepResult> {
  const { dataDir } = request;
  const dirs = storeDirs(dataDir);
  const result: SweepResult = { blobs: [], layers: [], leftovers: 0 };
  for (const digest of await listStoredBlobs(dataDir)) {
    if (request.liveDigests.has(digest)) continue;
    await rm(blobPath(dataDir, digest), { force: true });
    result.blobs.push(digest);
  }
  if (request.sweepLayers) {
    for (const algorithm of ['sha256', 'sha512']) {
      for (const name of await entries(join(dirs.layers, algorithm))) {
        // `<hex>`, or `<hex>.wl-…`: the same layer cut down to an appc pathWhitelist, which goes with it
        const diffId = `${algorithm}:${name.split('.')[0]}`;
        if (!DIGEST_PATTERN.test(diffId) || request.liveDiffIds.has(diffId)) continue;
        await rm(join(dirs.layers, algorithm, name), { recursive: true, force: true });
        if (!result.layers.includes(diffId)) result.layers.push(diffId);
      }
    }
  }
  const now = Date.now();
  for (const name of await entries(dirs.ingest)) {
    const info = await stat(join(dirs.ingest, name)).catch(() => undefined);
    if (info !== undefined && now - info.mtimeMs >= request.ingestGraceMs) {
      await rm(join(dirs.ingest, name), { force: true });
      result.leftovers++;
    }
  }
  for (const tmp of [dirs.tmp, join(dirs.layers, 'tmp')]) {
    for (const name of await entries(tmp)) {
      await rm(join(tmp, name), { recursive: true, force: true });
      result.leftovers++;
    }
  }
  return result;
}
