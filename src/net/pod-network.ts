/**
 * A pod's CNI networking, set up before the helper starts and torn down by rm and gc: a named
 * network namespace, one CNI ADD per network (eth0, eth1, … in order), port forwarding on one of
 * them. net-info.json records each step before it is taken, so that teardown (CNI DEL in reverse
 * order, the rules, the namespace) can undo any prefix of the set-up, even after `kill -9`.
 */
import { RktError } from '../errors/rkt-error.js';
import type { NetInfo } from '../schema/net-info.js';
import type { CniDns } from '../schema/cni.js';
import { runCniPlugin } from './cni-plugin.js';
import { firstIPv4 } from './cni-result.js';
import { readNetInfo, writeNetInfo } from './net-info.js';
import { createNetns, podNetnsPath, removeNetns } from './netns.js';
import type { SelectedNetwork } from './network-confs.js';
import type { PortForward } from './port-flags.js';
import { setupPortForwarding, teardownPortForwarding } from './port-forward.js';

export interface PodNetworkRequest {
  /** Where the pod directory is now; net-info.json is written there. */
  podDir: string;
  uuid: string;
  networks: readonly SelectedNetwork[];
  pluginDirs: readonly string[];
  ports: readonly PortForward[];
}

export interface PodNetwork {
  netns: string;
  networks: { name: string; ip?: string }[];
  /** DNS of the first network whose result has name servers (rkt's rule), with its name. */
  dns?: { network: string; dns: CniDns };
}

/** rkt's rule: the first network with ipMasq forwards ports, else the last one. */
function forwardingIndex(networks: readonly SelectedNetwork[]): number {
  const masq = networks.findIndex((net) => net.conf.ipMasq === true);
  return masq >= 0 ? masq : networks.length - 1;
}

export function setupPodNetwork(request: PodNetworkRequest): PodNetwork {
  const info: NetInfo = { version: 1, containerId: request.uuid, netns: podNetnsPath(request.uuid), networks: [] };
  writeNetInfo(request.podDir, info);
  createNetns(request.uuid);
  const result: PodNetwork = { netns: info.netns, networks: [] };
  request.networks.forEach((net, index) => {
    const record = { name: net.name, conf: net.conf, ifName: `eth${index}`, args: net.args, pluginDirs: [...request.pluginDirs] };
    info.networks.push(record);
    writeNetInfo(request.podDir, info);
    const added = runCniPlugin({ command: 'ADD', network: net.name, conf: net.conf, containerId: request.uuid, netns: info.netns, ifName: record.ifName, args: net.args, pluginDirs: record.pluginDirs });
    const ip = added && firstIPv4(added);
    info.networks[index] = { ...record, ...(ip ? { ip } : {}), hostInterfaces: added?.hostInterfaces ?? [] };
    writeNetInfo(request.podDir, info);
    result.networks.push({ name: net.name, ...(ip ? { ip } : {}) });
    if (!result.dns && added && (added.dns.nameservers?.length ?? 0) > 0) result.dns = { network: net.name, dns: added.dns };
  });
  if (request.ports.length > 0) {
    const forwarding = info.networks[forwardingIndex(request.networks)];
    if (!forwarding?.ip) {
      throw new RktError('system', 'ERR_PORT_FORWARD', `network "${forwarding?.name ?? '?'}" gave the pod no IPv4 address to forward ports to`);
    }
    info.portForwarding = true;
    writeNetInfo(request.podDir, info);
    setupPortForwarding({ uuid: request.uuid, podIP: forwarding.ip, ports: request.ports, hostInterfaces: forwarding.hostInterfaces ?? [] });
  }
  return result;
}

/**
 * Undoes the set-up recorded in `podDir`. Every step is tried; if any failed, the first failure is
 * thrown afterwards (the record and the namespace are kept, so a later rm or gc tries again: CNI
 * DEL is idempotent).
 */
export function teardownPodNetwork(podDir: string): void {
  const info = readNetInfo(podDir);
  if (!info) return;
  const failures: unknown[] = [];
  const attempt = (step: () => void) => {
    try {
      step();
    } catch (error) {
      failures.push(error);
    }
  };
  if (info.portForwarding) attempt(() => teardownPortForwarding(info.containerId));
  for (const net of [...info.networks].reverse()) {
    attempt(() => runCniPlugin({ command: 'DEL', network: net.name, conf: net.conf, containerId: info.containerId, netns: info.netns, ifName: net.ifName, args: net.args, pluginDirs: net.pluginDirs }));
  }
  // The namespace goes only once every DEL has succeeded: plugins find what to undo through it
  // (ptp removes its masquerading rules by the address it reads there), so a DEL retried without
  // it would leave rules on the host for good.
  if (failures.length === 0) attempt(() => removeNetns(info.netns));
  if (failures.length > 0) throw failures[0];
}
