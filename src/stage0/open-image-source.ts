/**
 * An image that is not in the store yet, read from its source: a layout, an archive unpacked into
 * `workDir`, or a registry. Loaded only when something has to be fetched, since it brings in the
 * registry client and the HTTP stack.
 */
import { RktError } from '../errors/rkt-error.js';
import { readDockerArchive } from '../image/docker-archive.js';
import { importableFromLayout, type ImportableImage } from '../image/importable-image.js';
import { readOciArchive } from '../image/oci-archive.js';
import { readOciImage } from '../image/oci-layout.js';
import { openRegistrySource } from './fetch-registry-image.js';
import type { RegistryAccess } from './registry-access.js';
import type { SourceReference } from './source-name.js';

export async function openImageSource(reference: SourceReference, workDir: string, registry?: RegistryAccess): Promise<ImportableImage> {
  switch (reference.transport) {
    case 'oci':
      return importableFromLayout(await readOciImage(reference.layoutPath, reference.tag));
    case 'oci-archive':
      return readOciArchive(reference.archivePath, reference.tag, workDir);
    case 'docker-archive':
      return readDockerArchive(reference.archivePath, reference.repoTag, workDir);
    case 'docker':
      if (registry === undefined) throw new RktError('image', 'ERR_IMAGE_TRANSPORT_UNSUPPORTED', `image "docker://${reference.text}": no registry access was given`);
      return openRegistrySource(reference.text, registry);
  }
}
