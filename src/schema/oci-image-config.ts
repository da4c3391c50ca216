/**
 * The OCI image configuration (also Docker's container image config). Only the fields rkt uses are
 * kept; Docker writes null for absent lists and maps, so those accept null.
 */
import * as z from 'zod/mini';
import { digestSchema } from './oci-descriptor.js';
import { MAX_LAYERS } from './oci-manifest.js';

const emptyObjectMap = z.nullish(z.record(z.string(), z.object({})));

export const ociExecConfigSchema = z.object({
  User: z.optional(z.string()),
  ExposedPorts: emptyObjectMap,
  Env: z.nullish(z.array(z.string())),
  Entrypoint: z.nullish(z.array(z.string())),
  Cmd: z.nullish(z.array(z.string())),
  Volumes: emptyObjectMap,
  WorkingDir: z.optional(z.string()),
  Labels: z.nullish(z.record(z.string(), z.string())),
  StopSignal: z.optional(z.string()),
});

export const ociImageConfigSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.optional(z.string()),
  created: z.optional(z.string()),
  config: z.optional(ociExecConfigSchema),
  rootfs: z.object({
    type: z.literal('layers', 'must be "layers"'),
    diff_ids: z.array(digestSchema).check(z.maxLength(MAX_LAYERS)),
  }),
});

export type OciImageConfig = z.infer<typeof ociImageConfigSchema>;
export type OciExecConfig = z.infer<typeof ociExecConfigSchema>;
