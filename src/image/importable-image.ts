/**
 * An image ready to be imported into the store, whatever it came from: its manifest and config as
 * bytes (the manifest's digest is the image's ID), its layers, and a way to read any of its blobs
 * from an offset (so that an interrupted copy or download resumes).
 */
import { createReadStream } from 'node:fs';
import type { OciImageConfig } from '../schema/oci-image-config.js';
import type { OciManifest } from '../schema/oci-manifest.js';
import type { OciImage, OciImageLayer } from './oci-layout.js';

export interface BlobDescriptor {
  digest: string;
  size: number;
  mediaType: string;
}

export type OpenImageBlob = (digest: string, offset: number, signal?: AbortSignal) => Promise<{ stream: NodeJS.ReadableStream; offset: number }>;

export interface ImportableImage {
  manifestDigest: string;
  manifestMediaType: string;
  manifestBytes: Buffer;
  manifest: OciManifest;
  configDescriptor: BlobDescriptor;
  configBytes: Buffer;
  config: OciImageConfig;
  /** Bottom to top. */
  layers: OciImageLayer[];
  openBlob: OpenImageBlob;
}

export function importableFromLayout(image: OciImage): ImportableImage {
  return {
    manifestDigest: image.manifestDigest,
    manifestMediaType: image.manifestMediaType,
    manifestBytes: image.manifestBytes,
    manifest: image.manifest,
    configDescriptor: image.manifest.config,
    configBytes: image.configBytes,
    config: image.config,
    layers: image.layers,
    openBlob: async (digest, offset) => ({ stream: createReadStream(image.blobPath(digest), { start: offset }), offset }),
  };
}
