/**
 * appc images in the store. An ACI is stored as two blobs: its manifest (`sha256:` of the JSON,
 * role `manifest`, also the record's config digest) and the uncompressed ACI tar (`sha512:`, role
 * `layer`, whose diff_id is its own digest: the image ID). Its rootfs is extracted like any layer,
 * by the chrooted extraction child, which keeps only `rootfs/`. Dependencies are other stored
 * images; the layers of an image are its dependencies' layers, depth-first in the order listed,
 * then its own, each cut down to the pathWhitelists that apply to it (appc ace.md "Filesystem
 * Setup", reference §3.5).
 */
import { RktError } from '../errors/rkt-error.js';
import { appcStoreName } from '../image/image-reference.js';
import { type AppcDependency, type AppcImageManifest, appcImageManifestSchema, labelOf } from '../schema/appc-manifest.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';
import type { ImageIndex, ImageRecord } from '../store/image-index.js';
import { readStoredBlob } from '../store/stored-blob.js';
import { normalizeWhitelistPath } from '../store/prune-to-whitelist.js';
import type { StoredLayer } from '../store/stored-image.js';

/** A dependency tree deeper than this is a loop or a hostile image. */
export const MAX_DEPENDENCY_DEPTH = 16;

/** `NAME[:VERSION]` of a manifest: what `rkt image list` shows and what the store finds it by. */
export function manifestStoreName(manifest: AppcImageManifest): string {
  const version = labelOf(manifest, 'version');
  return appcStoreName(manifest.name, version === undefined ? [] : [['version', version]]);
}

export function dependencyLabels(dependency: AppcDependency): [string, string][] {
  return (dependency.labels ?? []).map((label) => [label.name, label.value]);
}

export async function readAppcManifest(dataDir: string, record: ImageRecord): Promise<{ bytes: Buffer; manifest: AppcImageManifest }> {
  const bytes = await readStoredBlob(dataDir, record.configDigest);
  return { bytes, manifest: parseJsonDocument(bytes, appcImageManifestSchema, `stored appc manifest of ${record.id.replace(':', '-')}`) };
}

/** The stored image a dependency names: by image ID when it gives one, else by name and labels. */
export function findDependency(index: ImageIndex, dependency: AppcDependency): ImageRecord | undefined {
  if (dependency.imageID !== undefined) {
    const matches = index.findByIdPrefix(dependency.imageID.replace('-', ':'));
    return matches.length === 1 ? matches[0] : undefined;
  }
  return index.findByName(appcStoreName(dependency.imageName, dependencyLabels(dependency)));
}

/** The image's own rootfs layer (its ACI), without its dependencies. */
export function ownAppcLayer(index: ImageIndex, record: ImageRecord): StoredLayer {
  const blob = index.blobsOf(record.id).find((b) => b.role === 'layer');
  if (blob === undefined) throw new RktError('store', 'ERR_IMAGE_NOT_IN_STORE', `image ${record.id.replace(':', '-')} has no ACI blob in the store`);
  return { digest: blob.digest, size: blob.size, mediaType: blob.mediaType, diffId: blob.diffId ?? blob.digest };
}

/** A layer of an appc image's stack, with the pathWhitelist that applies at its place, if any. */
export interface AppcLayer extends StoredLayer {
  pathWhitelist?: string[];
}

/**
 * The image's layers, bottom first: dependencies depth-first in the order listed, the image itself
 * last. Each place of a layer is filtered by every non-empty pathWhitelist on its way up, its own
 * image's and those of the images that depend on it (ace.md: "the file can be filtered by any of
 * the pathWhitelist of the image itself and the images depending on the image"): by their
 * intersection. A layer that comes twice with the same filter is stacked once, at its highest
 * place (the later one wins anyway); with different filters, at each place (ace.md's D, B, D, C, A).
 */
export async function appcLayerChain(dataDir: string, index: ImageIndex, record: ImageRecord): Promise<AppcLayer[]> {
  const chain = await layersOf(dataDir, index, record, { depth: 0, path: [], whitelists: [] });
  const place = (layer: AppcLayer) => `${layer.diffId} ${JSON.stringify(layer.pathWhitelist ?? null)}`;
  return chain.filter((layer, i) => !chain.slice(i + 1).some((later) => place(later) === place(layer)));
}

interface ChainPosition {
  depth: number;
  /** Image IDs from the top down to here: a loop is refused. */
  path: string[];
  /** The non-empty whitelists of the images above. */
  whitelists: string[][];
}

async function layersOf(dataDir: string, index: ImageIndex, record: ImageRecord, at: ChainPosition): Promise<AppcLayer[]> {
  if (at.depth > MAX_DEPENDENCY_DEPTH || at.path.includes(record.id)) {
    throw new RktError('image', 'ERR_APPC_DEPENDENCY_LOOP', `image ${record.name}: its dependencies loop or are more than ${MAX_DEPENDENCY_DEPTH} levels deep`);
  }
  const { manifest } = await readAppcManifest(dataDir, record);
  const whitelists = manifest.pathWhitelist?.length ? [...at.whitelists, manifest.pathWhitelist] : at.whitelists;
  const layers: AppcLayer[] = [];
  for (const dependency of manifest.dependencies ?? []) {
    const found = findDependency(index, dependency);
    if (found === undefined) {
      throw new RktError('store', 'ERR_APPC_DEPENDENCY_MISSING', `image ${record.name}: its dependency ${appcStoreName(dependency.imageName, dependencyLabels(dependency))} is not in the store`, {
        hint: `fetch it (rkt fetch ${dependency.imageName}), or fetch ${record.name} again`,
      });
    }
    layers.push(...(await layersOf(dataDir, index, found, { depth: at.depth + 1, path: [...at.path, record.id], whitelists })));
  }
  const own = ownAppcLayer(index, record);
  layers.push(whitelists.length === 0 ? own : { ...own, pathWhitelist: intersection(whitelists) });
  return layers;
}

/** The paths every whitelist names, normalized and sorted. */
function intersection(whitelists: readonly string[][]): string[] {
  const [first, ...rest] = whitelists.map((list) => new Set(list.map(normalizeWhitelistPath)));
  return [...first!].filter((path) => rest.every((set) => set.has(path))).sort();
}
