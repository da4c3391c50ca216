/**
 * Where an image comes from, before it is in the store: the name it is recorded under, and, when it
 * has to be read, the image itself (from a layout, an archive unpacked into `workDir`, or a registry).
 */
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';
import { readDockerArchive } from '../image/docker-archive.js';
import { canonicalImageName, type ImageReference } from '../image/image-reference.js';
import { importableFromLayout, type ImportableImage } from '../image/importable-image.js';
import { readOciArchive } from '../image/oci-archive.js';
import { readOciImage } from '../image/oci-layout.js';
import type { SourceKind } from '../store/image-index.js';
import { openRegistrySource, registrySourceName } from './fetch-registry-image.js';
import type { RegistryAccess } from './registry-access.js';

export type SourceReference = Exclude<ImageReference, { transport: 'store' | 'aci-file' | 'aci-url' | 'appc' }>;

export interface SourceName {
  name: string;
  kind: SourceKind;
  /** What the app is called by default: the layout or archive's base name, the repository's last part. */
  appNameBase: string;
}

export function sourceName(reference: SourceReference): SourceName {
  switch (reference.transport) {
    case 'oci':
      return { name: canonicalImageName(reference), kind: 'oci', appNameBase: path.basename(path.resolve(reference.layoutPath)) };
    case 'oci-archive':
    case 'docker-archive':
      return { name: canonicalImageName(reference), kind: reference.transport, appNameBase: path.basename(reference.archivePath).replace(/\.(tar|tgz|tar\.gz)$/, '') };
    case 'docker':
      return registrySourceName(reference.text);
  }
}

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
