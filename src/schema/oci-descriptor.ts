/** The OCI content descriptor, the pointer every index and manifest is made of. */
import * as z from 'zod/mini';
import { DIGEST_PATTERN } from './digest.js';

export const digestSchema = z.string().check(
  z.regex(DIGEST_PATTERN, 'must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>'),
);

export const annotationsSchema = z.record(z.string(), z.string());

export const platformSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.optional(z.string()),
  'os.version': z.optional(z.string()),
  'os.features': z.optional(z.array(z.string())),
});

export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: digestSchema,
  size: z.int().check(z.minimum(0)),
  urls: z.optional(z.array(z.string())),
  annotations: z.optional(annotationsSchema),
  platform: z.optional(platformSchema),
});

export type OciDescriptor = z.infer<typeof descriptorSchema>;
export type OciPlatform = z.infer<typeof platformSchema>;
