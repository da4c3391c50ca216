/**
 * `rkt image export IMAGE FILE`: writes a stored image as an OCI archive (a tar of an OCI image
 * layout: oci-layout, index.json, blobs/<alg>/<hex>), which `oci-archive:FILE` fetches back to the
 * same image ID. An appc image is written as its ACI (the uncompressed tar the store keeps, so
 * fetching it back gives the same sha512 image ID). The file is written beside FILE and renamed
 * over it when complete.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { access, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { RktError } from '../errors/rkt-error.js';
import { isValidOciRefName } from '../image/image-reference.js';
import { REF_NAME_ANNOTATION } from '../image/oci-layout.js';
import { isAppcRecord, MEDIA_TYPE } from '../schema/media-types.js';
import { blobPath } from '../store/blob-store.js';
import { ImageIndex } from '../store/image-index.js';
import { resolveStoredImage } from './resolve-stored-image.js';

export interface ExportRequest {
  dataDir: string;
  image: string;
  outputPath: string;
  overwrite: boolean;
}

/** The tag an exported layout gives its image: the tag of the name it was fetched as, if it has one. */
function tagOf(name: string): string | undefined {
  const match = /:([^:/@]+)$/.exec(name.replace(/^[a-z-]+:(\/\/)?/, ''));
  return match && isValidOciRefName(match[1]!) ? match[1] : undefined;
}

function addFile(pack: tar.Pack, name: string, size: number, source: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry({ name, size, mode: 0o644, mtime: new Date(0) }, (error) => (error ? reject(error) : resolve()));
    source.on('error', reject);
    source.pipe(entry);
  });
}

export async function exportImage(request: ExportRequest): Promise<string> {
  const index = await ImageIndex.openForLookup(request.dataDir);
  let image;
  let blobs;
  try {
    image = resolveStoredImage(index, request.image);
    blobs = index.blobsOf(image.id);
  } finally {
    index.close();
  }
  if (!request.overwrite && (await access(request.outputPath).then(() => true, () => false))) {
    throw new RktError('usage', 'ERR_OUTPUT_EXISTS', `${request.outputPath} already exists`, { hint: 'use --overwrite to replace it' });
  }
  if (isAppcRecord(image)) {
    const aci = blobs.find((blob) => blob.role === 'layer')!;
    const temporary = `${request.outputPath}.rkt-export-${process.pid}`;
    try {
      await pipeline(createReadStream(blobPath(request.dataDir, aci.digest)), createWriteStream(temporary, { mode: 0o644 }));
      await rename(temporary, request.outputPath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return image.id;
  }
  const tag = tagOf(image.name);
  const indexJson = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociIndex,
    manifests: [{ mediaType: image.manifestMediaType, digest: image.id, size: blobs[0]!.size, ...(tag ? { annotations: { [REF_NAME_ANNOTATION]: tag } } : {}) }],
  }));
  const temporary = `${request.outputPath}.rkt-export-${process.pid}`;
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(temporary, { mode: 0o644 }));
  try {
    const layoutFile = Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    pack.entry({ name: 'oci-layout', size: layoutFile.length, mode: 0o644, mtime: new Date(0) }, layoutFile);
    pack.entry({ name: 'index.json', size: indexJson.length, mode: 0o644, mtime: new Date(0) }, indexJson);
    const seen = new Set<string>();
    for (const blob of blobs) {
      if (seen.has(blob.digest)) continue;
      seen.add(blob.digest);
      await addFile(pack, `blobs/${blob.digest.replace(':', '/')}`, blob.size, createReadStream(blobPath(request.dataDir, blob.digest)));
    }
    pack.finalize();
    await written;
    await rename(temporary, request.outputPath);
  } catch (error) {
    pack.destroy();
    await written.catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return image.id;
}
