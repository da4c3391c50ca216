/** An OCI image index (index.json, or a nested index), also accepting a Docker manifest list. */
import * as z from 'zod/mini';
import { annotationsSchema, descriptorSchema } from './oci-descriptor.js';

/** More entries than this is not an image, it is an attack on memory and time. */
export const MAX_INDEX_ENTRIES = 1024;

export const ociIndexSchema = z.object({
  schemaVersion: z.literal(2, 'must be 2'),
  mediaType: z.optional(z.string()),
  manifests: z.array(descriptorSchema).check(z.maxLength(MAX_INDEX_ENTRIES)),
  annotations: z.optional(annotationsSchema),
  // An index that also carries manifest fields is media-type confusion: refuse rather than guess.
  config: z.optional(z.never('must not appear in an index (is this a manifest?)')),
  layers: z.optional(z.never('must not appear in an index (is this a manifest?)')),
});

export type OciIndex = z.infer<typeof ociIndexSchema>;
