/** An OCI image manifest, also accepting a Docker schema2 manifest. */
import * as z from 'zod/mini';
import { annotationsSchema, descriptorSchema } from './oci-descriptor.js';

/** Docker caps images at 127 layers (overlay's lower-dir limit is near); 128 leaves room, refuses bombs. */
export const MAX_LAYERS = 128;

export const ociManifestSchema = z.object({
  schemaVersion: z.literal(2, 'must be 2'),
  mediaType: z.optional(z.string()),
  config: descriptorSchema,
  layers: z.array(descriptorSchema).check(z.maxLength(MAX_LAYERS)),
  annotations: z.optional(annotationsSchema),
  // A manifest that also lists manifests is media-type confusion: refuse rather than guess.
  manifests: z.optional(z.never('must not appear in a manifest (is this an index?)')),
});

export type OciManifest = z.infer<typeof ociManifestSchema>;
