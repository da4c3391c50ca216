/**
 * `rkt image extract` and `rkt image render`: the image's root filesystem as a plain directory tree
 * (a copy; nothing in it is shared with the store). The stored layers are stacked by overlayfs,
 * read-only, in a private mount namespace (overlay-view.ts), and `cp -a` copies the merged view into a
 * directory that did not exist: overlayfs applies whiteouts and opaque directories exactly as a pod
 * sees them, and a copy into a fresh directory never writes through a symlink an image planted.
 * OCI images have no dependencies, so extract and render give the same tree. Needs root (mount,
 * and extraction of layers not yet extracted).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RktError } from '../errors/rkt-error.js';
import { ImageIndex } from '../store/image-index.js';
import { loadStoredImage } from '../store/stored-image.js';
import { prepareStoreDirs } from '../store/store-dirs.js';
import { withStoreInUse } from '../store/store-lock.js';
import { appcLayerChain, ownAppcLayer, readAppcManifest } from './appc-image.js';
import { isAppcRecord } from '../schema/media-types.js';
import { extractLayers } from './import-image.js';
import { withOverlayView } from './overlay-view.js';
import { resolveStoredImage } from './resolve-stored-image.js';

const run = promisify(execFile);

export interface RenderRequest {
  dataDir: string;
  image: string;
  outputDir: string;
  rootfsOnly: boolean;
  overwrite: boolean;
  /** render: an appc image over its dependencies; extract (false): the image alone. */
  withDependencies: boolean;
}

async function prepareOutput(dir: string, overwrite: boolean): Promise<void> {
  const existing = await readdir(dir).catch(() => undefined);
  if (existing !== undefined && existing.length > 0) {
    if (!overwrite) throw new RktError('usage', 'ERR_OUTPUT_EXISTS', `${dir} exists and is not empty`, { hint: 'use --overwrite to replace it' });
  }
  await rm(dir, { recursive: true, force: true });
}

export async function renderImage(request: RenderRequest): Promise<string> {
  const { dataDir } = request;
  if (/[:,\\]/.test(dataDir)) {
    throw new RktError('usage', 'ERR_DATA_DIR_INVALID', `data directory ${dataDir} contains ':', ',' or '\\', which overlayfs cannot take in a path`);
  }
  (await ImageIndex.openForLookup(dataDir)).close(); // no store, no image: create nothing
  await prepareOutput(request.outputDir, request.overwrite);
  return withStoreInUse(dataDir, async () => {
    const index = await ImageIndex.openForLookup(dataDir);
    let image: { record: { id: string }; manifestBytes: Buffer; configBytes?: Buffer; layers: Parameters<typeof extractLayers>[1] };
    try {
      const record = resolveStoredImage(index, request.image);
      // appc: the ACI's rootfs over its dependencies' (render); `extract` is the image alone.
      image = isAppcRecord(record)
        ? { record, manifestBytes: (await readAppcManifest(dataDir, record)).bytes, layers: request.withDependencies ? await appcLayerChain(dataDir, index, record) : [ownAppcLayer(index, record)] }
        : await loadStoredImage(dataDir, index, record.id);
    } finally {
      index.close();
    }
    const layerDirs = await extractLayers(dataDir, image.layers);
    const rootfs = request.rootfsOnly ? request.outputDir : join(request.outputDir, 'rootfs');
    await mkdir(request.outputDir, { recursive: true, mode: 0o755 });
    if (!request.rootfsOnly) {
      await writeFile(join(request.outputDir, 'manifest'), image.manifestBytes, { mode: 0o644 });
      if (image.configBytes) await writeFile(join(request.outputDir, 'config.json'), image.configBytes, { mode: 0o644 });
    }
    const work = await mkdtemp(join((await prepareStoreDirs(dataDir)).tmp, 'render-'));
    try {
      // overlayfs lists lower layers top first.
      await withOverlayView([...layerDirs].reverse(), work, `rendering image ${image.record.id}`, async (merged) => {
        await run('cp', ['-a', `${merged}/.`, rootfs]).catch((error: Error & { stderr?: string }) => {
          throw new RktError('system', 'ERR_RENDER_FAILED', `rendering image ${image.record.id} into ${rootfs} failed: ${(error.stderr ?? error.message).trim()}`);
        });
      });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return image.record.id;
  });
}
