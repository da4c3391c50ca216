/**
 * config.json's namespaces, user namespace maps and sysctls as stage1 plan directives.
 *
 * - `linux.namespaces`: a type without `path` is a new namespace, with `path` one the helper joins
 *   (and checks the type of); a new cgroup namespace is the app's own, made after it joined its
 *   cgroups, so that it is rooted there (as runc's).
 * - `linux.uidMappings`/`gidMappings`: the maps the helper writes for a new user namespace, or checks
 *   a joined one against (containerd and CRI-O send both, as runc accepts). With a user namespace the
 *   helper makes the other new namespaces inside it, so root in the container holds its
 *   capabilities over them.
 * - `linux.sysctl`: only what is namespaced, and only in a namespace that is not the runtime's own
 *   (runc's rule), written by the helper under /proc/sys once the namespaces are entered.
 */
import fs from 'node:fs';
import type { OciIdMapping, OciRuntimeConfig } from '../schema/oci-runtime-config.js';
import type { IdRange, JoinedNamespace, Namespace, UserNamespaceMaps } from '../stage1/stage1-plan.js';
import { unsupported } from './oci-errors.js';

/** The runtime-spec's namespace types and the plan's names for them (`time` is not supported). */
const NAMESPACE_TYPES: Record<string, JoinedNamespace | undefined> = { pid: 'pid', network: 'net', mount: 'mount', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup' };
/** linux.namespaces types rkt-oci makes or joins (features' `linux.namespaces`). */
export const SUPPORTED_NAMESPACES = Object.keys(NAMESPACE_TYPES);
/** Where /proc/PID/ns/ shows each. */
const PROC_NAMES: Record<JoinedNamespace, string> = { pid: 'pid', net: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup' };

export interface ContainerNamespaces {
  /** New namespaces made for the pod (the plan's `namespaces`). */
  created: Namespace[];
  /** Namespace files to join (`join TYPE PATH`). */
  joined: Partial<Record<JoinedNamespace, string>>;
  /** A new cgroup namespace: the app's own (`unshare cgroup`). */
  ownCgroupNamespace: boolean;
  /** The user namespace's maps: written to a new one, checked against a joined one. */
  userNamespace?: UserNamespaceMaps;
}

function idRanges(mappings: OciIdMapping[], field: string): IdRange[] {
  return mappings.map((m, i) => {
    const limit = 2 ** 32 - 1;
    if (m.size < 1 || m.containerID + m.size > limit || m.hostID + m.size > limit) {
      throw unsupported(`${field}.${i}`, `(${m.containerID} ${m.hostID} ${m.size}) is not a range of 32-bit ids`);
    }
    return { inside: m.containerID, outside: m.hostID, count: m.size };
  });
}

export function containerNamespaces(config: OciRuntimeConfig): ContainerNamespaces {
  const out: ContainerNamespaces = { created: [], joined: {}, ownCgroupNamespace: false };
  const seen = new Set<JoinedNamespace>();
  for (const [i, ns] of (config.linux?.namespaces ?? []).entries()) {
    const field = `linux.namespaces.${i}`;
    const type = NAMESPACE_TYPES[ns.type];
    if (!type) throw unsupported(field, `(type "${ns.type}") is not supported yet`);
    if (seen.has(type)) throw unsupported(field, `repeats the ${ns.type} namespace`);
    seen.add(type);
    if (ns.path !== undefined && ns.path !== '') {
      if (!ns.path.startsWith('/')) throw unsupported(`${field}.path`, `must be an absolute path, not "${ns.path}"`);
      out.joined[type] = ns.path;
    } else if (type === 'cgroup') {
      out.ownCgroupNamespace = true;
    } else {
      out.created.push(type);
    }
  }
  if (!seen.has('mount')) throw unsupported('linux.namespaces', 'must include a mount namespace (the container\'s mounts would change the host otherwise)');
  const linux = config.linux ?? {};
  const uids = linux.uidMappings ?? [];
  const gids = linux.gidMappings ?? [];
  if (!seen.has('user')) {
    if (uids.length > 0 || gids.length > 0) throw unsupported(uids.length > 0 ? 'linux.uidMappings' : 'linux.gidMappings', 'needs a user namespace in linux.namespaces');
  } else if (uids.length > 0 || gids.length > 0 || out.created.includes('user')) {
    if (uids.length === 0 || gids.length === 0) throw unsupported(uids.length === 0 ? 'linux.uidMappings' : 'linux.gidMappings', 'is required with a user namespace (both maps, or neither with a joined one)');
    out.userNamespace = { uidMap: idRanges(uids, 'linux.uidMappings'), gidMap: idRanges(gids, 'linux.gidMappings') };
  }
  return out;
}

/** The host id that `id` maps to, or undefined when the ranges do not map it. */
export function hostId(ranges: readonly IdRange[], id: number): number | undefined {
  const range = ranges.find((r) => id >= r.inside && id < r.inside + r.count);
  return range ? range.outside + (id - range.inside) : undefined;
}

/**
 * The helper mounts as the host's root, so a tmpfs or devpts would belong to the host's root,
 * which the container's does not map (runc mounts them from inside the user namespace): their
 * `uid=`/`gid=` options are translated to host ids, and a tmpfs without them is given the
 * container root's.
 */
export function mountDataInUserNamespace(fstype: string, data: string[], maps: UserNamespaceMaps, field: string): string[] {
  if (fstype !== 'tmpfs' && fstype !== 'devpts') return data;
  const translate = (option: string, ranges: IdRange[]) => {
    const id = Number(option.slice(4));
    const host = /^[0-9]+$/.test(option.slice(4)) ? hostId(ranges, id) : undefined;
    if (host === undefined) throw unsupported(`${field}.options`, `"${option}" names an id that linux.${option[0] === 'u' ? 'uid' : 'gid'}Mappings does not map`);
    return `${option.slice(0, 4)}${host}`;
  };
  const out = data.map((option) => (option.startsWith('uid=') ? translate(option, maps.uidMap) : option.startsWith('gid=') ? translate(option, maps.gidMap) : option));
  if (fstype === 'tmpfs') {
    for (const [key, ranges] of [['uid=', maps.uidMap], ['gid=', maps.gidMap]] as const) {
      const root = hostId(ranges, 0);
      if (root !== undefined && !out.some((option) => option.startsWith(key))) out.push(`${key}${root}`);
    }
  }
  return out;
}

/** runc's list: what the IPC namespace scopes, besides fs.mqueue.*. */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** True when the namespace file is the one rkt-oci itself is in (runc: "host" means "current"). */
function isOwnNamespace(file: string, type: JoinedNamespace): boolean {
  try {
    const joined = fs.statSync(file);
    const own = fs.statSync(`/proc/self/ns/${PROC_NAMES[type]}`);
    return joined.dev === own.dev && joined.ino === own.ino;
  } catch {
    // a path that cannot be looked at is the helper's to refuse, naming it
    return false;
  }
}

/** `linux.sysctl` (and `domainname`, which is the kernel.domainname sysctl) as plan lines. */
export function containerSysctls(config: OciRuntimeConfig, namespaces: ContainerNamespaces): { path: string; value: string }[] {
  const entries = Object.entries(config.linux?.sysctl ?? {});
  if (config.domainname) entries.push(['kernel.domainname', config.domainname]);
  return entries.map(([key, value]) => {
    const field = key === 'kernel.domainname' && config.domainname && !(config.linux?.sysctl ?? {})[key] ? 'domainname' : `linux.sysctl.${key}`;
    // sysctl(8): with a "/" the separators are slashes, and a dot belongs to a name (eth0.100)
    const parts = key.includes('/') ? key.split('/') : key.split('.');
    if (parts.some((part) => part === '' || part === '.' || part === '..')) throw unsupported(field, 'is not a sysctl name');
    const dotted = parts.join('.');
    let type: JoinedNamespace | undefined;
    if (IPC_SYSCTLS.has(dotted) || dotted.startsWith('fs.mqueue.')) type = 'ipc';
    else if (dotted.startsWith('net.')) type = 'net';
    else if (dotted === 'kernel.domainname' || dotted === 'kernel.hostname') type = 'uts';
    if (!type) throw unsupported(field, 'is not in a kernel namespace of the container: it would change the host (only net.*, the IPC ones and kernel.hostname/domainname are)');
    if (dotted === 'kernel.hostname' && config.hostname) throw unsupported(field, 'conflicts with the hostname field');
    const joined = namespaces.joined[type];
    if (!namespaces.created.includes(type as Namespace) && (joined === undefined || isOwnNamespace(joined, type))) {
      throw unsupported(field, `needs the container's own ${type} namespace: ${joined === undefined ? 'linux.namespaces has none' : `${joined} is rkt-oci's own`}`);
    }
    return { path: parts.join('/'), value };
  });
}
