/**
 * An appc pod manifest (schema 0.8.x) as `rkt run --pod-manifest FILE` takes it: the apps, by image
 * ID or stored name, with their exec, user, group, environment and working directory; the pod's
 * volumes, the apps' mounts, annotations and port forwards. Unknown keys are refused, so that a
 * field rkt would silently ignore (a typo, or something this rkt does not do) is an error.
 */
import * as z from 'zod/mini';

/** appc's AC Name (app, volume and port names). */
const AC_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const acName = z.string().check(z.regex(AC_NAME, 'must be an AC name: lower-case letters and digits separated by single dashes'));

const nameValue = z.strictObject({ name: z.string().check(z.minLength(1, 'must not be empty')), value: z.string() });

export const appcVolumeSchema = z.strictObject({
  name: acName,
  kind: z.enum(['host', 'empty']),
  source: z.optional(z.string()),
  readOnly: z.optional(z.boolean()),
  recursive: z.optional(z.boolean()),
  mode: z.optional(z.string().check(z.regex(/^0?[0-7]{3,4}$/, 'must be an octal mode such as "0755"'))),
  uid: z.optional(z.int().check(z.minimum(0), z.maximum(4294967294))),
  gid: z.optional(z.int().check(z.minimum(0), z.maximum(4294967294))),
});

const appSchema = z.strictObject({
  exec: z.optional(z.array(z.string()).check(z.minLength(1, 'must name the program'))),
  user: z.optional(z.string()),
  group: z.optional(z.string()),
  supplementaryGIDs: z.optional(z.array(z.int().check(z.minimum(0), z.maximum(4294967294)))),
  workingDirectory: z.optional(z.string()),
  environment: z.optional(z.array(nameValue)),
  isolators: z.optional(z.array(z.strictObject({ name: z.string(), value: z.unknown() }))),
});

export const appcPodAppSchema = z.strictObject({
  name: acName,
  image: z.strictObject({
    name: z.optional(z.string()),
    id: z.optional(z.string()),
    labels: z.optional(z.array(nameValue)),
  }),
  app: z.optional(appSchema),
  readOnlyRootFS: z.optional(z.boolean()),
  mounts: z.optional(z.array(z.strictObject({ volume: acName, path: z.string() }))),
  annotations: z.optional(z.array(nameValue)),
  userAnnotations: z.optional(z.record(z.string(), z.string())),
  userLabels: z.optional(z.record(z.string(), z.string())),
});

export const appcPortSchema = z.strictObject({
  name: acName,
  hostPort: z.int().check(z.minimum(1), z.maximum(65535)),
  hostIP: z.optional(z.string()),
});

export const appcPodManifestSchema = z.strictObject({
  acKind: z.literal('PodManifest', 'must be "PodManifest"'),
  acVersion: z.string().check(z.regex(/^0\.[0-9]+\.[0-9]+/, 'must be an appc version such as "0.8.11"')),
  apps: z.array(appcPodAppSchema).check(z.minLength(1, 'must list at least one app')),
  volumes: z.optional(z.array(appcVolumeSchema)),
  isolators: z.optional(z.array(z.unknown()).check(z.maxLength(0, 'are not supported in --pod-manifest yet'))),
  annotations: z.optional(z.array(nameValue)),
  ports: z.optional(z.array(appcPortSchema)),
  userAnnotations: z.optional(z.record(z.string(), z.string())),
  userLabels: z.optional(z.record(z.string(), z.string())),
});

export type AppcPodManifest = z.infer<typeof appcPodManifestSchema>;
export type AppcVolume = z.infer<typeof appcVolumeSchema>;
