/**
 * `<pod>/net-info.json`: what rkt needs to tear a pod's network down (and what list/status show),
 * written by stage0 before each set-up step, so that gc can undo a set-up that was killed half-way.
 */
import * as z from 'zod/mini';

export const netInfoNetworkSchema = z.object({
  name: z.string(),
  /** The configuration given to the plugin at ADD; DEL gets the same. */
  conf: z.looseObject({ type: z.string() }),
  ifName: z.string(),
  args: z.string(),
  pluginDirs: z.array(z.string()),
  /** Set once ADD succeeded. */
  ip: z.optional(z.string()),
  hostInterfaces: z.optional(z.array(z.string())),
});

export const netInfoSchema = z.object({
  version: z.literal(1),
  containerId: z.string(),
  netns: z.string(),
  networks: z.array(netInfoNetworkSchema),
  portForwarding: z.optional(z.boolean()),
});

export type NetInfo = z.infer<typeof netInfoSchema>;
export type NetInfoNetwork = z.infer<typeof netInfoNetworkSchema>;
