/**
 * CNI documents rkt reads: network configuration files (the fields rkt itself looks at; plugins get
 * the whole file) and what plugins print: results of spec 0.3.x/0.4.0 and 1.0.0, the older 0.1/0.2
 * shape (`ip4`), and errors.
 */
import * as z from 'zod/mini';

/** `name` is what `--net=NAME` selects; `type` is the plugin binary. Every other field is the plugin's. */
export const cniNetConfSchema = z.looseObject({
  cniVersion: z.optional(z.string()),
  name: z.string().check(z.regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be letters, digits, "_", "." or "-", starting with a letter or digit')),
  type: z.string().check(z.regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a plugin file name')),
  ipMasq: z.optional(z.boolean()),
  ipam: z.optional(z.looseObject({ type: z.optional(z.string()) })),
});

const dnsSchema = z.object({
  nameservers: z.optional(z.array(z.string())),
  domain: z.optional(z.string()),
  search: z.optional(z.array(z.string())),
  options: z.optional(z.array(z.string())),
});

const routeSchema = z.object({ dst: z.string(), gw: z.optional(z.string()) });

/** 0.3.0, 0.3.1, 0.4.0 (`ips[].version`) and 1.0.0 (no `version`). */
export const cniCurrentResultSchema = z.object({
  cniVersion: z.string(),
  interfaces: z.optional(z.array(z.object({ name: z.string(), mac: z.optional(z.string()), sandbox: z.optional(z.string()) }))),
  ips: z.optional(
    z.array(
      z.object({
        version: z.optional(z.enum(['4', '6'])),
        interface: z.optional(z.number()),
        address: z.string(),
        gateway: z.optional(z.string()),
      }),
    ),
  ),
  routes: z.optional(z.array(routeSchema)),
  dns: z.optional(dnsSchema),
});

const legacyIpSchema = z.object({ ip: z.string(), gateway: z.optional(z.string()), routes: z.optional(z.array(routeSchema)) });

/** 0.1.0 and 0.2.0. */
export const cniLegacyResultSchema = z.object({
  cniVersion: z.optional(z.string()),
  ip4: z.optional(legacyIpSchema),
  ip6: z.optional(legacyIpSchema),
  dns: z.optional(dnsSchema),
});

export const cniErrorSchema = z.object({
  cniVersion: z.optional(z.string()),
  code: z.number(),
  msg: z.string(),
  details: z.optional(z.string()),
});

export type CniNetConf = z.infer<typeof cniNetConfSchema>;
export type CniCurrentResult = z.infer<typeof cniCurrentResultSchema>;
export type CniLegacyResult = z.infer<typeof cniLegacyResultSchema>;
export type CniDns = z.infer<typeof dnsSchema>;
