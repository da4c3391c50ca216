/**
 * The files every app gets on /etc/hostname, /etc/hosts and /etc/resolv.conf, written into the pod
 * directory (`<pod>/etc/`) and bound read-only by the helper. What goes in them is rkt's policy
 * (src/net/dns-config.ts); this decides which source applies for the pod's network mode.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hostsMode, renderHosts, renderResolvConf, resolvMode, type DnsFlags } from '../net/dns-config.js';
import type { PodNetwork } from '../net/pod-network.js';
import type { NetSelection } from '../net/net-flags.js';

export type EtcName = 'hostname' | 'hosts' | 'resolv.conf';

export interface PodEtcInput {
  etcDir: string;
  hostname: string;
  net: NetSelection['mode'];
  dns: DnsFlags;
  hostsEntries: string[];
  /** CNI's outcome, for its DNS. */
  network?: PodNetwork;
}

function hostFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function resolvConf(input: PodEtcInput): string | undefined {
  const mode = resolvMode(input.dns);
  switch (mode.mode) {
    case 'host':
      return hostFile('/etc/resolv.conf');
    case 'none':
      return undefined;
    case 'flags':
      return renderResolvConf(mode.dns, 'run');
    case 'default':
      // A pod on the host's network resolves names as the host does; with --net=none there is
      // nothing to resolve against, so the image's own file is left alone.
      if (input.net === 'host') return hostFile('/etc/resolv.conf');
      if (input.network?.dns) return renderResolvConf(input.network.dns.dns, `from network ${input.network.dns.network}`);
      return undefined;
  }
}

/** Checks the flags before anything is created; throws usage errors. */
export function checkPodEtcFlags(dns: DnsFlags, hostsEntries: string[]): void {
  resolvMode(dns);
  hostsMode(hostsEntries);
}

export function writePodEtc(input: PodEtcInput): { name: EtcName; source: string }[] {
  // recursive: a run-prepared that failed half-way may have written them already.
  fs.mkdirSync(input.etcDir, { mode: 0o755, recursive: true });
  const etc: { name: EtcName; source: string }[] = [];
  const write = (name: EtcName, content: string) => {
    const source = path.join(input.etcDir, name);
    fs.writeFileSync(source, content, { mode: 0o644 });
    etc.push({ name, source });
  };
  write('hostname', `${input.hostname}\n`);
  const hosts = hostsMode(input.hostsEntries);
  write('hosts', hosts.mode === 'host' ? hostFile('/etc/hosts') : renderHosts(hosts.entries, input.hostname));
  const resolv = resolvConf(input);
  if (resolv !== undefined) write('resolv.conf', resolv);
  return etc;
}
