/**
 * rkt's configuration files (reference §1.7): JSON files in `<config dir>/<kind>.d/`, each naming
 * its `rktKind` and `rktVersion` ("v1").
 */
import * as z from 'zod/mini';

const credentialsSchema = z.object({ user: z.optional(z.string()), password: z.optional(z.string()), token: z.optional(z.string()) });

export const authConfigSchema = z
  .object({
    rktKind: z.literal('auth'),
    rktVersion: z.literal('v1'),
    domains: z.array(z.string()).check(z.minLength(1)),
    type: z.enum(['basic', 'oauth', 'aws']),
    credentials: credentialsSchema,
  })
  .check(
    z.refine((entry) => entry.type !== 'basic' || (entry.credentials.user !== undefined && entry.credentials.password !== undefined), 'type "basic" needs credentials.user and credentials.password'),
    // The token goes into a header as it is: printable ASCII only, so no line break can inject another.
    z.refine((entry) => entry.type !== 'oauth' || (entry.credentials.token !== undefined && /^[\x21-\x7e]+$/.test(entry.credentials.token)), 'type "oauth" needs credentials.token, printable ASCII without spaces'),
  );

export const dockerAuthConfigSchema = z.object({
  rktKind: z.literal('dockerAuth'),
  rktVersion: z.literal('v1'),
  registries: z.array(z.string()).check(z.minLength(1)),
  credentials: z.object({ user: z.string(), password: z.string() }),
});

export const pathsConfigSchema = z.object({
  rktKind: z.literal('paths'),
  rktVersion: z.literal('v1'),
  data: z.optional(z.string()),
  'stage1-images': z.optional(z.string()),
});

export const stage1ConfigSchema = z.object({
  rktKind: z.literal('stage1'),
  rktVersion: z.literal('v1'),
  name: z.optional(z.string()),
  version: z.optional(z.string()),
  location: z.optional(z.string()),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type DockerAuthConfig = z.infer<typeof dockerAuthConfigSchema>;
export type PathsConfig = z.infer<typeof pathsConfigSchema>;
export type Stage1Config = z.infer<typeof stage1ConfigSchema>;

/** auth.d holds both kinds. */
export const authDirEntrySchema = z.discriminatedUnion('rktKind', [authConfigSchema, dockerAuthConfigSchema]);
