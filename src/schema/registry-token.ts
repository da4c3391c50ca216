/** The JSON a distribution token server answers with (`token`, or the OAuth2 `access_token`). */
import * as z from 'zod/mini';

export const registryTokenResponseSchema = z.object({
  token: z.optional(z.string()),
  access_token: z.optional(z.string()),
  expires_in: z.optional(z.number()),
  issued_at: z.optional(z.string()),
});

export type RegistryTokenResponse = z.infer<typeof registryTokenResponseSchema>;
