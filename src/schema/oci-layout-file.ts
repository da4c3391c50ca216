/** The `oci-layout` marker file at the top of an OCI image layout. */
import * as z from 'zod/mini';

export const ociLayoutFileSchema = z.object({
  imageLayoutVersion: z.literal('1.0.0', 'must be "1.0.0", the only layout version rkt knows'),
});
