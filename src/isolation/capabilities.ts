/**
 * Linux capabilities by rkt's names (CAP_NET_ADMIN), rkt's default set, and the per-app sets that
 * `--caps-retain` / `--caps-remove` give (reference §4.2): retain makes the bounding set exactly the
 * list, remove takes the list out of the default fourteen.
 */
import { RktError } from '../errors/rkt-error.js';

/** include/uapi/linux/capability.h; numbers are ABI. */
export const CAPABILITY_NUMBERS: Readonly<Record<string, number>> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5,
  CAP_SETGID: 6, CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18, CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24, CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36, CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
};

/** rkt's (and Docker's, containerd's) default fourteen: mask 0x00000000a80425fb. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_KILL', 'CAP_MKNOD',
  'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETFCAP', 'CAP_SYS_CHROOT',
];

export type CapabilityIsolator = { kind: 'retain'; names: string[] } | { kind: 'remove'; names: string[] };

/** Parses a `--caps-retain`/`--caps-remove` value: a comma list of names, CAP_ prefix optional, any case. */
export function parseCapabilityList(flag: string, text: string): string[] {
  const names = text.split(',').map((word) => word.trim()).filter((word) => word !== '');
  if (names.length === 0) throw new RktError('usage', 'ERR_CAPABILITY_UNKNOWN', `--${flag}: no capability given`);
  return names.map((word) => {
    const name = word.toUpperCase().startsWith('CAP_') ? word.toUpperCase() : `CAP_${word.toUpperCase()}`;
    if (!(name in CAPABILITY_NUMBERS)) {
      throw new RktError('usage', 'ERR_CAPABILITY_UNKNOWN', `--${flag}: unknown capability "${word}"`, {
        hint: 'capabilities are named as in capabilities(7), e.g. CAP_NET_ADMIN',
      });
    }
    return name;
  });
}

export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITY_NUMBERS[name];
    if (bit === undefined) throw new RktError('usage', 'ERR_CAPABILITY_UNKNOWN', `unknown capability "${name}"`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** The 16-hex-digit form /proc/<pid>/status shows (CapBnd: 00000000a80425fb). */
export function formatCapabilityMask(mask: bigint): string {
  return mask.toString(16).padStart(16, '0');
}

/** The app's bounding set: the default fourteen, or what an isolator makes of them. */
export function boundingSet(isolator: CapabilityIsolator | undefined): string[] {
  if (isolator === undefined) return [...DEFAULT_CAPABILITIES];
  if (isolator.kind === 'retain') return [...new Set(isolator.names)];
  return DEFAULT_CAPABILITIES.filter((name) => !isolator.names.includes(name));
}
