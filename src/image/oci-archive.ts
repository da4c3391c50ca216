/**
 * `oci-archive:PATH[:TAG]`: a tar of an OCI image layout. Only the layout's own files are unpacked
 * (oci-layout, index.json, blobs/<alg>/<hex>) into a fresh work directory, through the checks of
 * unpackImageArchive; the layout is then read as any other.
 */
import { importableFromLayout, type ImportableImage } from './importable-image.js';
import { readOciImage } from './oci-layout.js';
import { unpackImageArchive } from './unpack-image-archive.js';

const LAYOUT_FILE = /^(?:oci-layout|index\.json|blobs\/(?:sha256\/[0-9a-f]{64}|sha512\/[0-9a-f]{128}))$/;

export async function readOciArchive(archivePath: string, tag: string | undefined, workDir: string): Promise<ImportableImage> {
  await unpackImageArchive({ archivePath, destDir: workDir, keep: (name) => LAYOUT_FILE.test(name) });
  return importableFromLayout(await readOciImage(workDir, tag));
}
