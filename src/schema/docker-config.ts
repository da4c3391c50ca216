/**
 * The `auths` part of Docker's client configuration (~/.docker/config.json): per registry, either
 * `auth` (base64 of `user:password`) or `username` and `password`. Other fields (credsStore,
 * credHelpers, proxies, …) are allowed and ignored.
 */
import * as z from 'zod/mini';

export const dockerConfigAuthEntrySchema = z.object({
  auth: z.optional(z.string()),
  username: z.optional(z.string()),
  password: z.optional(z.string()),
});

export const dockerConfigFileSchema = z.object({
  auths: z.optional(z.record(z.string(), dockerConfigAuthEntrySchema)),
});

export type DockerConfigFile = z.infer<typeof dockerConfigFileSchema>;
