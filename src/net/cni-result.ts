/**
 * A CNI plugin's result, whatever spec version it speaks, reduced to what rkt uses: the pod's
 * addresses, the host-side interfaces and DNS. Versions before 0.3.0 put addresses in `ip4`/`ip6`;
 * later ones in `ips`, with `interfaces` (0.4.0 tags each address with `version`, 1.0.0 does not).
 */
import { cniCurrentResultSchema, cniLegacyResultSchema, type CniDns } from '../schema/cni.js';

export interface CniAddress {
  /** CIDR notation, e.g. 172.16.28.2/24. */
  address: string;
  gateway?: string;
  family: 4 | 6;
}

export interface CniResult {
  cniVersion: string;
  addresses: CniAddress[];
  /** Interfaces the plugin made outside the pod (no `sandbox`): veths, bridges. */
  hostInterfaces: string[];
  dns: CniDns;
}

const familyOf = (address: string): 4 | 6 => (address.includes(':') ? 6 : 4);

function legacyVersion(version: string | undefined): boolean {
  return version === undefined || /^0\.[12]\./.test(version);
}

/** Throws a plain Error naming what was wrong; the caller adds the network and plugin. */
export function parseCniResult(value: unknown): CniResult {
  const version = typeof value === 'object' && value !== null ? (value as { cniVersion?: unknown }).cniVersion : undefined;
  if (version !== undefined && typeof version !== 'string') throw new Error('result field cniVersion is not a string');
  if (legacyVersion(version)) {
    const parsed = cniLegacyResultSchema.safeParse(value);
    if (!parsed.success) throw new Error(`result is not a CNI ${version ?? '0.2.0'} result: ${parsed.error.issues[0]?.path.join('.') ?? ''}`);
    const addresses = [parsed.data.ip4, parsed.data.ip6].flatMap((ip) =>
      ip ? [{ address: ip.ip, family: familyOf(ip.ip), ...(ip.gateway ? { gateway: ip.gateway } : {}) }] : [],
    );
    return { cniVersion: version ?? '0.2.0', addresses, hostInterfaces: [], dns: parsed.data.dns ?? {} };
  }
  const parsed = cniCurrentResultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`result is not a CNI ${version} result: field ${issue?.path.join('.') || '(document)'} is invalid`);
  }
  const result = parsed.data;
  const interfaces = result.interfaces ?? [];
  return {
    cniVersion: result.cniVersion,
    addresses: (result.ips ?? []).map((ip) => ({
      address: ip.address,
      family: ip.version === undefined ? familyOf(ip.address) : ip.version === '6' ? 6 : 4,
      ...(ip.gateway ? { gateway: ip.gateway } : {}),
    })),
    hostInterfaces: interfaces.filter((entry) => !entry.sandbox).map((entry) => entry.name),
    dns: result.dns ?? {},
  };
}

/** The address without its prefix length, as rkt shows it (`ip4=172.16.28.2`). */
export function firstIPv4(result: CniResult): string | undefined {
  return result.addresses.find((entry) => entry.family === 4)?.address.split('/')[0];
}
