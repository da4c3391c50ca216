/**
 * The name an image from an OCI layout, an archive or a registry is stored under, worked out from its
 * reference alone: `rkt run` looks the name up in the store before it opens (or even loads the code
 * for) the source.
 */
import path from 'node:path';
import { formatDockerReference, parseDockerReference } from '../image/docker-reference.js';
import { canonicalImageName, type ImageReference } from '../image/image-reference.js';
import type { SourceKind } from '../store/image-index.js';

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
    case 'docker': {
      const parsed = parseDockerReference(reference.text);
      return { name: `docker://${formatDockerReference(parsed)}`, kind: 'docker', appNameBase: parsed.repository.split('/').pop() ?? 'app' };
    }
  }
}
