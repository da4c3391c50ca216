/**
 * What a manifest response is: the Content-Type when it names a type rkt knows, else the
 * document's own `mediaType` field (registries that answer `application/json`). Docker schema1
 * manifests (signed or not) are refused: they carry no config and no content-addressed layers list
 * rkt could verify, and every registry still serving them can convert to schema2.
 */
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES } from '../../schema/media-types.js';
import { type RegistryTarget, registryError } from './registry-error.js';

export const SCHEMA1_MEDIA_TYPES: readonly string[] = [
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
];

/** The Accept header of manifest requests: indexes and manifests, OCI and Docker schema2. */
export const MANIFEST_ACCEPT = [...INDEX_MEDIA_TYPES, ...MANIFEST_MEDIA_TYPES].join(', ');

const KNOWN: readonly string[] = [...INDEX_MEDIA_TYPES, ...MANIFEST_MEDIA_TYPES];

export function manifestMediaType(contentType: string | undefined, bytes: Buffer, target: RegistryTarget): string {
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  const peek = peekJson(bytes);
  if ((header !== undefined && SCHEMA1_MEDIA_TYPES.includes(header)) || peek.schemaVersion === 1) {
    throw registryError('ERR_REGISTRY_MANIFEST_UNSUPPORTED', target, 'the registry served a Docker schema1 manifest, which rkt does not accept', {
      hint: 'push the image again with a current tool (docker, skopeo, buildah), which writes schema2 or OCI manifests',
    });
  }
  if (header !== undefined && KNOWN.includes(header)) return header;
  if (typeof peek.mediaType === 'string' && KNOWN.includes(peek.mediaType)) return peek.mediaType;
  throw registryError('ERR_REGISTRY_MANIFEST_UNSUPPORTED', target, `the response is not a manifest or index rkt knows (Content-Type ${JSON.stringify(header ?? '')}${typeof peek.mediaType === 'string' ? `, mediaType ${JSON.stringify(peek.mediaType.slice(0, 100))}` : ''})`, {
    hint: `rkt accepts ${KNOWN.join(', ')}`,
  });
}

function peekJson(bytes: Buffer): { schemaVersion?: unknown; mediaType?: unknown } {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as { schemaVersion?: unknown; mediaType?: unknown }) : {};
  } catch {
    return {};
  }
}
