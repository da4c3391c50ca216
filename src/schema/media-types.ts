/** Media types rkt understands, and which role each plays. Docker schema2 types are accepted as aliases. */
export const MEDIA_TYPE = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** rkt's own names for appc images in the store: the uncompressed ACI tar, and its manifest. */
  appcAci: 'application/vnd.appc.aci.v0+tar',
  appcManifest: 'application/vnd.appc.image-manifest.v0+json',
} as const;

/** An image stored from an ACI: its manifest is appc's, not OCI's. */
export function isAppcRecord(record: { manifestMediaType: string }): boolean {
  return record.manifestMediaType === MEDIA_TYPE.appcManifest;
}

export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE.ociIndex, MEDIA_TYPE.dockerManifestList];
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE.ociManifest, MEDIA_TYPE.dockerManifest];
export const CONFIG_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE.ociConfig, MEDIA_TYPE.dockerConfig];

export type LayerCompression = 'none' | 'gzip' | 'zstd';

/**
 * The compression a layer media type declares, or undefined when the type is not a layer type.
 * Non-distributable ("foreign") variants are the same bytes with a different distribution rule.
 */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case MEDIA_TYPE.ociLayerTar:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
      return 'none';
    case MEDIA_TYPE.ociLayerGzip:
    case MEDIA_TYPE.dockerLayerGzip:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip':
    case 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip':
      return 'gzip';
    case MEDIA_TYPE.ociLayerZstd:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd':
      return 'zstd';
    default:
      return undefined;
  }
}
