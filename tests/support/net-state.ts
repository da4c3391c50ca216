/**
 * What a pod's network may leave on the host: named network namespaces, links, iptables nat
 * rules and host-local IPAM leases. Tests compare before and after.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const IPAM_DIR = '/var/lib/cni/networks';

export interface HostNetState {
  netns: string[];
  links: string[];
  nat: string[];
  /** network/file for every file host-local keeps, its bookkeeping (last_reserved_ip.*, lock) aside. */
  leases: string[];
}

const lines = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8' }).split('\n').filter((line) => line !== '').sort();

function leases(): string[] {
  if (!fs.existsSync(IPAM_DIR)) return [];
  return fs.readdirSync(IPAM_DIR).flatMap((net) =>
    fs.readdirSync(path.join(IPAM_DIR, net)).filter((file) => file !== 'lock' && !file.startsWith('last_reserved_ip')).map((file) => `${net}/${file}`),
  ).sort();
}

export function hostNetState(): HostNetState {
  return {
    netns: lines('ip', ['netns', 'list']),
    links: lines('ip', ['-o', 'link', 'show']).map((line) => line.split(':')[1]!.trim().split('@')[0]!),
    nat: lines('iptables', ['-w', '-t', 'nat', '-S']),
    leases: leases(),
  };
}

/** The host's first non-loopback IPv4 address: traffic to it stays on this machine. */
export function hostIPv4(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  throw new Error('the host has no IPv4 address besides loopback');
}
