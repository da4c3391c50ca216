/**
 * The paths an app must not see or change (moby's defaultLinuxMaskedPaths and ReadonlyPaths, the
 * "Default protections" table): masked files get /dev/null bound over them, masked directories an
 * empty read-only tmpfs; read-only paths are bound onto themselves and remounted read-only.
 */
import fs from 'node:fs';
import path from 'node:path';

export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

export const READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface MaskedPath {
  path: string;
  kind: 'file' | 'dir';
}

/**
 * The masked paths that exist here, each as file or directory. The pod's /proc and /sys come from
 * this kernel, so the host's shows what the app will see; `/sys/devices/system/cpu/cpu*
 * /thermal_throttle` is expanded the same way. `host` is a root to look under (tests).
 */
export function maskedPaths(host = '/'): MaskedPath[] {
  const cpuDir = path.join(host, 'sys/devices/system/cpu');
  let cpus: string[] = [];
  try {
    cpus = fs.readdirSync(cpuDir).filter((name) => /^cpu[0-9]+$/.test(name));
  } catch {
    // no /sys/devices/system/cpu: nothing to expand
  }
  const candidates = [...MASKED_PATHS, ...cpus.map((cpu) => `/sys/devices/system/cpu/${cpu}/thermal_throttle`)];
  const out: MaskedPath[] = [];
  for (const candidate of candidates) {
    try {
      out.push({ path: candidate, kind: fs.statSync(path.join(host, candidate)).isDirectory() ? 'dir' : 'file' });
    } catch {
      // absent on this kernel: nothing to mask
    }
  }
  return out;
}
