/**
 * The networks a pod can join (reference §5.1): rkt's built-in `default` and `default-restricted`,
 * overridden by name by the user's `<local-config>/net.d/*.conf`. Files are taken in file-name
 * order (built-ins as `99-default.conf` and `99-default-restricted.conf`), which is also the order
 * of the pod's interfaces: eth0, eth1, …
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { cniNetConfSchema, type CniNetConf } from '../schema/cni.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';
import type { NetRequest } from './net-flags.js';

export interface NetworkConf {
  name: string;
  /** The file it came from, or `(built-in)/99-default.conf`. */
  file: string;
  conf: CniNetConf;
}

export const BUILTIN_NETWORKS: readonly NetworkConf[] = [
  {
    name: 'default',
    file: '(built-in)/99-default.conf',
    conf: {
      cniVersion: '0.4.0', name: 'default', type: 'ptp', ipMasq: true,
      ipam: { type: 'host-local', subnet: '172.16.28.0/24', routes: [{ dst: '0.0.0.0/0' }] },
    },
  },
  {
    name: 'default-restricted',
    file: '(built-in)/99-default-restricted.conf',
    conf: { cniVersion: '0.4.0', name: 'default-restricted', type: 'ptp', ipMasq: false, ipam: { type: 'host-local', subnet: '172.31.0.0/16' } },
  },
];

/** `<local-config>/net.d`: users' networks, and a place for their plugins. */
export function userNetDir(localConfig: string): string {
  return path.join(localConfig, 'net.d');
}

function confFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((name) => name.endsWith('.conf')).sort();
  } catch (error) {
    if (isErrnoException(error, 'ENOENT') || isErrnoException(error, 'ENOTDIR')) return [];
    throw error;
  }
}

function readConf(file: string): CniNetConf {
  try {
    return parseJsonDocument(fs.readFileSync(file), cniNetConfSchema, `network configuration ${file}`);
  } catch (error) {
    throw new RktError('config', 'ERR_NET_CONF_INVALID', error instanceof Error ? error.message : String(error));
  }
}

/** Every network, in interface order; a user network replaces the built-in of the same name. */
export function loadNetworkConfs(localConfig: string): NetworkConf[] {
  const dir = userNetDir(localConfig);
  const user: NetworkConf[] = [];
  for (const name of confFiles(dir)) {
    const file = path.join(dir, name);
    const conf = readConf(file);
    const earlier = user.find((net) => net.name === conf.name);
    if (earlier) {
      throw new RktError('config', 'ERR_NET_CONF_DUPLICATE', `network "${conf.name}" is configured twice in ${dir}: ${earlier.file} and ${file}`);
    }
    user.push({ name: conf.name, file, conf });
  }
  const builtins = BUILTIN_NETWORKS.filter((builtin) => !user.some((net) => net.name === builtin.name));
  // Byte order, as rkt's Go sort: "99-default-restricted.conf" comes before "99-default.conf".
  const key = (net: NetworkConf) => path.basename(net.file);
  return [...user, ...builtins].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export interface SelectedNetwork extends NetworkConf {
  args: string;
}

/** The requested networks in interface order; `all` is every configured one. */
export function selectNetworks(confs: readonly NetworkConf[], requests: readonly NetRequest[]): SelectedNetwork[] {
  if (requests.some((request) => request.name === 'all')) return confs.map((conf) => ({ ...conf, args: '' }));
  const missing = requests.filter((request) => !confs.some((conf) => conf.name === request.name)).map((request) => request.name);
  if (missing.length > 0) {
    throw new RktError('usage', 'ERR_NET_NOT_FOUND', `networks not found: ${missing.join(', ')}`, {
      hint: `networks are rkt's default and default-restricted and the *.conf files in <local-config>/net.d (known: ${confs.map((conf) => conf.name).join(', ')})`,
    });
  }
  return confs.flatMap((conf) => {
    const request = requests.find((entry) => entry.name === conf.name);
    return request ? [{ ...conf, args: request.args }] : [];
  });
}
