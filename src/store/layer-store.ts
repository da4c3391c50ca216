/**
 * The content-addressed store of extracted layers:
 *
 *   <dataDir>/cas/layers/<alg>/<hex of diff_id>/rootfs/      the layer's files
 *   <dataDir>/cas/layers/<alg>/<hex of diff_id>/layer.json   what it was made from
 *   <dataDir>/cas/layers/<alg>/<hex>.wl-<32 hex>/            an ACI cut down to a pathWhitelist
 *   <dataDir>/cas/layers/tmp/<random>/                       extractions under way
 *   <dataDir>/cas/locks/layer-<alg>-<hex>.lock               one extraction per layer at a time
 *
 * A layer directory exists only if its blob matched the manifest's digest and size, its uncompressed
 * tar matched the config's diff_id, and the extraction child succeeded: everything happens in tmp/
 * and is renamed into place at the end. A layer that is already present is returned without reading
 * the blob.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { parseDigest } from '../schema/digest.js';
import { MEDIA_TYPE, layerCompression, type LayerCompression } from '../schema/media-types.js';
import { DigestingTransform } from './digesting-transform.js';
import { withExclusiveFileLock } from './file-lock.js';
import { normalizeWhitelistPath, pruneToWhitelist } from './prune-to-whitelist.js';
import { layerTreeSeal } from './layer-tree-seal.js';
import { startExtractChild } from './run-extract-child.js';
import { zstdDecompressor } from './zstd-decompressor.js';

/** A decompression bomb is cut off here; raise it for images with genuinely huge layers. */
export const DEFAULT_MAX_UNCOMPRESSED_LAYER_BYTES = 64 * 1024 ** 3;

export interface EnsureLayerOptions {
  dataDir: string;
  blobPath: string;
  /** Digest and size of the blob as the manifest gives them. */
  digest: string;
  size: number;
  mediaType: string;
  /** Digest of the uncompressed tar as the image config gives it. */
  diffId: string;
  /**
   * An appc pathWhitelist (already the intersection of every whitelist that applies to this
   * place of the layer in its image's dependency tree): only those paths, and the directories
   * leading to them, are kept. Each whitelist is its own extraction of the layer.
   */
  pathWhitelist?: readonly string[];
  maxUncompressedBytes?: number;
}

export interface LayerRecord {
  diffId: string;
  digest: string;
  size: number;
  mediaType: string;
  extractedAt: string;
  skippedDevices: number;
  droppedXattrs: number;
  /** layer-tree-seal.ts: the extracted tree's metadata as it was left; absent in layers extracted before it existed. */
  treeSeal?: string;
  pathWhitelist?: string[];
}

/** `<hex>`, or for a layer cut down to a whitelist `<hex>.wl-<first 32 hex of its sha256>`. */
function layerDirName(hex: string, pathWhitelist: readonly string[] | undefined): string {
  if (pathWhitelist === undefined) return hex;
  return `${hex}.wl-${createHash('sha256').update(JSON.stringify(canonicalWhitelist(pathWhitelist))).digest('hex').slice(0, 32)}`;
}

function canonicalWhitelist(pathWhitelist: readonly string[]): string[] {
  return [...new Set(pathWhitelist.map(normalizeWhitelistPath))].sort();
}

/** Makes sure the layer is extracted in the store; returns the absolute path of its rootfs. */
export async function ensureLayer(options: EnsureLayerOptions): Promise<string> {
  const diffId = parseDigest(options.diffId, `diff_id of layer ${options.digest}`);
  parseDigest(options.digest, `layer blob ${options.blobPath}`);
  const casDir = join(options.dataDir, 'cas');
  const dirName = layerDirName(diffId.hex, options.pathWhitelist);
  const layerDir = join(casDir, 'layers', diffId.algorithm, dirName);
  if (await isPresent(layerDir)) return join(layerDir, 'rootfs');

  // An ACI is stored uncompressed; its `rootfs/` is the layer (the extraction child drops the rest).
  const aci = options.mediaType === MEDIA_TYPE.appcAci;
  const compression = aci ? 'none' : layerCompression(options.mediaType);
  if (compression === undefined) {
    throw new RktError('image', 'ERR_IMAGE_MEDIA_TYPE', `layer ${options.digest}: ${options.mediaType} is not a layer media type`);
  }
  await mkdir(casDir, { recursive: true, mode: 0o700 });
  await mkdir(join(casDir, 'layers', 'tmp'), { recursive: true });
  await mkdir(join(casDir, 'locks'), { recursive: true });
  const lockPath = join(casDir, 'locks', `layer-${diffId.algorithm}-${dirName}.lock`);
  await withExclusiveFileLock(lockPath, async () => {
    if (await isPresent(layerDir)) return; // another process finished it while we waited
    await extractIntoStore(options, compression, join(casDir, 'layers', 'tmp'), layerDir, aci);
  });
  return join(layerDir, 'rootfs');
}

export interface LayerTreeCheck {
  /** The layer has an extraction in the store (its own, or cut down to a whitelist). */
  extracted: boolean;
  /** One line per extraction whose tree no longer matches its seal (layer-tree-seal.ts). */
  problems: string[];
}

/**
 * Checks the extracted trees of a layer (and of its whitelist cuts) against the seals taken when
 * they were extracted. A tree extracted before seals existed has none, and is not judged.
 */
export async function checkExtractedLayer(dataDir: string, diffId: string): Promise<LayerTreeCheck> {
  const { algorithm, hex } = parseDigest(diffId, 'diff_id');
  const parent = join(dataDir, 'cas', 'layers', algorithm);
  // a member of the rkt group may read cas/layers but not the layers themselves (0700): to it, as
  // to `rkt run`, they are not there
  const names = await readdir(parent).catch((error: unknown) => {
    if (isErrnoException(error, 'ENOENT') || isErrnoException(error, 'EACCES')) return [] as string[];
    throw error;
  });
  const result: LayerTreeCheck = { extracted: false, problems: [] };
  for (const name of names.filter((entry) => entry === hex || entry.startsWith(`${hex}.wl-`))) {
    const dir = join(parent, name);
    if (!(await isPresent(dir))) continue;
    result.extracted = true;
    const record = JSON.parse(await readFile(join(dir, 'layer.json'), 'utf8')) as Partial<LayerRecord>;
    if (record.treeSeal !== undefined && layerTreeSeal(join(dir, 'rootfs')) !== record.treeSeal) {
      result.problems.push(`the extracted layer ${dir}/rootfs was changed after extraction (a file in it was modified, added or removed)`);
    }
  }
  return result;
}

async function isPresent(layerDir: string): Promise<boolean> {
  try {
    await access(join(layerDir, 'layer.json'));
    return true;
  } catch {
    return false;
  }
}

async function extractIntoStore(options: EnsureLayerOptions, compression: LayerCompression, tmpRoot: string, layerDir: string, aci: boolean): Promise<void> {
  const work = await mkdtemp(join(tmpRoot, 'extract-'));
  try {
    await mkdir(join(work, 'rootfs'), { mode: 0o755 });
    const summary = await verifyAndExtract(options, compression, join(work, 'rootfs'), aci);
    if (options.pathWhitelist !== undefined) await pruneToWhitelist(join(work, 'rootfs'), options.pathWhitelist);
    const record: LayerRecord = {
      diffId: options.diffId,
      digest: options.digest,
      size: options.size,
      mediaType: options.mediaType,
      extractedAt: new Date().toISOString(),
      skippedDevices: Number(summary.skippedDevices ?? 0),
      droppedXattrs: Number(summary.droppedXattrs ?? 0),
      // once the tree is final: rkt image verify compares the tree with it later
      treeSeal: layerTreeSeal(join(work, 'rootfs')),
      ...(options.pathWhitelist === undefined ? {} : { pathWhitelist: canonicalWhitelist(options.pathWhitelist) }),
    };
    await writeFile(join(work, 'layer.json'), `${JSON.stringify(record, null, 2)}\n`);
    await mkdir(join(layerDir, '..'), { recursive: true });
    try {
      await rename(work, layerDir);
    } catch (error) {
      // Someone else renamed the same layer into place first; theirs is as good as ours.
      if (!isErrnoException(error, 'ENOTEMPTY') && !isErrnoException(error, 'EEXIST')) throw error;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Streams the blob once: digest+size check, decompression, diff_id check, and the child's extraction. */
async function verifyAndExtract(options: EnsureLayerOptions, compression: LayerCompression, rootfsDir: string, aci: boolean): Promise<Record<string, unknown>> {
  const { digest, size, diffId, blobPath } = options;
  const maxBytes = options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_LAYER_BYTES;
  const compressed = new DigestingTransform(digest.slice(0, digest.indexOf(':')), size, () => sizeMismatch(options, 'larger'));
  const uncompressed = new DigestingTransform(diffId.slice(0, diffId.indexOf(':')), maxBytes, () =>
    new RktError('store', 'ERR_STORE_LAYER_TOO_LARGE', `layer ${digest} uncompresses to more than ${maxBytes} bytes`, {
      hint: 'a decompression bomb, or a genuinely huge layer: raise the limit if you trust the image',
    }),
  );
  const decompress: Duplex = compression === 'gzip' ? createGunzip() : compression === 'zstd' ? zstdDecompressor(digest) : new PassThrough();
  await requireBlob(blobPath, digest);
  const child = startExtractChild(rootfsDir, aci);
  const streamed = pipeline(createReadStream(blobPath), compressed, decompress, uncompressed, child.stdin).then(
    () => undefined,
    (error: unknown) => error,
  );
  const [streamError, outcome] = await Promise.all([streamed, child.outcome]);

  // Integrity first: a child or gunzip failure on a tampered blob is a consequence, not the cause.
  if (streamError instanceof RktError) throw streamError;
  if (streamError === undefined && outcome.ok) {
    if (compressed.bytes !== size) throw sizeMismatch(options, 'smaller');
    const actual = compressed.digest();
    if (actual !== digest) throw digestMismatch(`layer blob ${blobPath}`, actual, digest);
    const actualDiffId = uncompressed.digest();
    if (actualDiffId !== diffId) throw digestMismatch(`uncompressed layer ${digest}`, actualDiffId, diffId);
    return outcome.summary;
  }
  // The stream stopped early, so its digests are incomplete: check the blob on its own.
  await verifyBlobFile(options);
  if (!outcome.ok) {
    const { code, message, entry } = outcome.failure;
    throw new RktError('store', 'ERR_STORE_LAYER_EXTRACT', `layer ${digest}${entry ? `, entry ${JSON.stringify(entry)}` : ''}: ${message} (${code})`);
  }
  throw new RktError('store', 'ERR_STORE_LAYER_CORRUPT', `layer ${digest} could not be read: ${(streamError as Error).message}`, { cause: streamError });
}

async function verifyBlobFile(options: EnsureLayerOptions): Promise<void> {
  const { digest, size, blobPath } = options;
  const meter = new DigestingTransform(digest.slice(0, digest.indexOf(':')), size, () => sizeMismatch(options, 'larger'));
  await pipeline(createReadStream(blobPath), meter, new Writable({ write: (_chunk, _encoding, done) => done() }));
  if (meter.bytes !== size) throw sizeMismatch(options, 'smaller');
  const actual = meter.digest();
  if (actual !== digest) throw digestMismatch(`layer blob ${blobPath}`, actual, digest);
}

async function requireBlob(blobPath: string, digest: string): Promise<void> {
  try {
    await access(blobPath);
  } catch (error) {
    throw new RktError('image', 'ERR_IMAGE_BLOB_MISSING', `layer blob ${digest} is missing: ${blobPath}`, { cause: error });
  }
}

function sizeMismatch(options: EnsureLayerOptions, direction: 'larger' | 'smaller'): RktError {
  return new RktError('store', 'ERR_STORE_BLOB_SIZE_MISMATCH', `layer blob ${options.blobPath} is ${direction} than the ${options.size} bytes the manifest says`);
}

function digestMismatch(what: string, actual: string, expected: string): RktError {
  return new RktError('store', 'ERR_STORE_DIGEST_MISMATCH', `${what} has digest ${actual}, expected ${expected}`, {
    hint: 'the image is corrupt or was tampered with',
  });
}
