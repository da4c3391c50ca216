/**
 * Port forwarding as rkt did it (reference §5.3): two iptables nat chains per pod, named after the
 * first 8 characters of its UUID. RKT-PFWD-DNAT-<id> (from PREROUTING and OUTPUT, for packets to a
 * local address) sends HOSTPORT to the pod's address; RKT-PFWD-SNAT-<id> (from POSTROUTING, for
 * packets from 127.0.0.1) masquerades what came through localhost, which the kernel routes out of
 * lo only with route_localnet set on the host-side interface.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { RktError } from '../errors/rkt-error.js';
import type { PortForward } from './port-flags.js';

export interface PortForwardChains {
  dnat: string;
  snat: string;
}

export function portForwardChains(uuid: string): PortForwardChains {
  const id = uuid.slice(0, 8);
  return { dnat: `RKT-PFWD-DNAT-${id}`, snat: `RKT-PFWD-SNAT-${id}` };
}

function jumps(chains: PortForwardChains): string[][] {
  return [
    ['PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', chains.dnat],
    ['OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', chains.dnat],
    ['POSTROUTING', '-s', '127.0.0.1', '!', '-d', '127.0.0.1', '-j', chains.snat],
  ];
}

function iptables(args: string[]): { ok: boolean; message: string } {
  const result = spawnSync('iptables', ['-w', '-t', 'nat', ...args], { encoding: 'utf8' });
  if (result.error) return { ok: false, message: result.error.message };
  return { ok: result.status === 0, message: result.stderr.trim() };
}

function must(args: string[]): void {
  const result = iptables(args);
  if (!result.ok) {
    throw new RktError('system', 'ERR_PORT_FORWARD', `iptables -t nat ${args.join(' ')} failed: ${result.message}`, {
      hint: 'port forwarding needs iptables (Debian: apt-get install iptables) and root',
    });
  }
}

export interface PortForwardSetup {
  uuid: string;
  podIP: string;
  ports: readonly PortForward[];
  /** The forwarding network's host-side interfaces, which get route_localnet=1. */
  hostInterfaces: readonly string[];
}

export function setupPortForwarding(setup: PortForwardSetup): void {
  const chains = portForwardChains(setup.uuid);
  must(['-N', chains.dnat]);
  must(['-N', chains.snat]);
  for (const port of setup.ports) {
    must(['-A', chains.dnat, '-d', port.hostIP ?? '0.0.0.0/0', '-p', port.protocol, '--dport', String(port.hostPort), '-j', 'DNAT', '--to-destination', `${setup.podIP}:${port.podPort}`]);
    must(['-A', chains.snat, '-p', port.protocol, '-s', '127.0.0.1', '-d', setup.podIP, '--dport', String(port.podPort), '-j', 'MASQUERADE']);
  }
  for (const jump of jumps(chains)) must(['-A', ...jump]);
  for (const name of setup.hostInterfaces) {
    if (!/^[^/.][^/]*$/.test(name)) continue;
    fs.writeFileSync(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1\n');
  }
}

/** Removes whatever exists of the pod's rules; idempotent, so it also cleans up a half set-up. */
export function teardownPortForwarding(uuid: string): void {
  const chains = portForwardChains(uuid);
  for (const jump of jumps(chains)) {
    while (iptables(['-C', ...jump]).ok) must(['-D', ...jump]);
  }
  for (const chain of [chains.dnat, chains.snat]) {
    if (!iptables(['-S', chain]).ok) continue;
    must(['-F', chain]);
    must(['-X', chain]);
  }
}
