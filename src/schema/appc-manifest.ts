/**
 * The appc 0.8.11 image manifest (appc spec, aci.md "Image Manifest Schema"; types.md for the
 * types). Every field rkt uses is checked, and errors name the field (parseJsonDocument).
 */
import * as z from 'zod/mini';

/** AC Identifier (types.md): lower-case alphanumerics separated by single `-._~/`. */
export const AC_IDENTIFIER = /^[a-z0-9]+([-._~/][a-z0-9]+)*$/;
/** AC Name (types.md): lower-case alphanumerics separated by single dashes; at most 512 characters. */
export const AC_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const IMAGE_ID = /^sha512-[0-9a-f]{2,128}$/;

export const acIdentifierSchema = z.string().check(z.maxLength(512), z.regex(AC_IDENTIFIER, 'must be an AC identifier (lower-case letters, digits and single -._~/ between them)'));
const acNameSchema = z.string().check(z.maxLength(512), z.regex(AC_NAME, 'must be an AC name (lower-case letters and digits separated by single dashes)'));

/** A list of {name, value} with unique names. */
function namedValues(what: string, forbidden: readonly string[] = [], nameSchema: z.ZodMiniType<string> = acIdentifierSchema) {
  return z
    .array(z.object({ name: nameSchema, value: z.string() }))
    .check(
      z.refine((list) => new Set(list.map((item) => item.name)).size === list.length, `${what} names must be unique`),
      z.refine((list) => !list.some((item) => forbidden.includes(item.name)), `a ${what} may not be called ${forbidden.join(' or ')}`),
    );
}

const portSchema = z.object({
  name: acNameSchema,
  protocol: z.enum(['tcp', 'udp']),
  port: z.number().check(z.int(), z.minimum(1), z.maximum(65535)),
  count: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(65535))),
  socketActivated: z.optional(z.boolean()),
});

const mountPointSchema = z.object({
  name: acNameSchema,
  path: z.string().check(z.regex(/^\//, 'must be an absolute path')),
  readOnly: z.optional(z.boolean()),
});

const eventHandlerSchema = z.object({
  name: z.enum(['pre-start', 'post-stop']),
  exec: z.array(z.string()).check(z.minLength(1), z.refine((exec) => exec[0] !== '', 'exec[0] must name a program')),
});

const isolatorSchema = z.object({ name: acIdentifierSchema, value: z.unknown() });


export const appcAppSchema = z.object({
  exec: z.optional(z.array(z.string()).check(z.minLength(1), z.refine((exec) => exec[0]!.startsWith('/'), 'exec[0] must be an absolute path'))),
  user: z.string().check(z.minLength(1, 'is required')),
  group: z.string().check(z.minLength(1, 'is required')),
  supplementaryGIDs: z.optional(z.array(z.number().check(z.int(), z.minimum(0), z.maximum(4294967294)))),
  eventHandlers: z.optional(z.array(eventHandlerSchema).check(z.refine((handlers) => new Set(handlers.map((h) => h.name)).size === handlers.length, 'there may be only one event handler of each name'))),
  workingDirectory: z.optional(z.string().check(z.regex(/^\//, 'must be an absolute path'))),
  environment: z.optional(namedValues('environment variable', [], z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a C identifier')))),
  isolators: z.optional(z.array(isolatorSchema)),
  mountPoints: z.optional(z.array(mountPointSchema)),
  ports: z.optional(z.array(portSchema)),
});

const dependencySchema = z.object({
  imageName: acIdentifierSchema,
  imageID: z.optional(z.string().check(z.regex(IMAGE_ID, 'must be sha512-<hex>'))),
  labels: z.optional(namedValues('label', ['name'])),
  size: z.optional(z.number().check(z.int(), z.minimum(0))),
});

/** An image's dependencies are a tree; more than this is a hostile or broken image. */
export const MAX_DEPENDENCIES = 64;

export const appcImageManifestSchema = z.object({
  acKind: z.literal('ImageManifest', 'must be "ImageManifest"'),
  acVersion: z.string().check(z.regex(SEMVER, 'must be a SemVer version such as 0.8.11')),
  name: acIdentifierSchema,
  labels: z.optional(namedValues('label', ['name'])),
  app: z.nullish(appcAppSchema),
  annotations: z.optional(namedValues('annotation')),
  dependencies: z.optional(z.array(dependencySchema).check(z.maxLength(MAX_DEPENDENCIES))),
  pathWhitelist: z.optional(z.array(z.string().check(z.regex(/^\//, 'must be an absolute path')))),
});

export type AppcImageManifest = z.infer<typeof appcImageManifestSchema>;
export type AppcApp = z.infer<typeof appcAppSchema>;
export type AppcDependency = z.infer<typeof dependencySchema>;
export type AppcEventHandler = z.infer<typeof eventHandlerSchema>;

export function labelOf(manifest: Pick<AppcImageManifest, 'labels'>, name: string): string | undefined {
  return manifest.labels?.find((label) => label.name === name)?.value;
}
