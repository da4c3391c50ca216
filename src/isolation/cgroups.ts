/**
 * Pod and app cgroups on both layouts, detected at run time:
 *
 * - v1 (and hybrid hosts, which have v1 controllers): under each controller rkt uses (memory, cpu,
 *   pids, devices), the pod is `<caller's cgroup>/rkt-<uuid>` and each app `.../rkt-<uuid>/<app>`.
 *   Nesting under the caller keeps the pod inside whatever limits the caller's service has, as rkt
 *   did under systemd (`--keep-unit`).
 * - v2 (unified only): `<mount>/rkt/<uuid>/<app>`, outside the caller's group: v2 forbids enabling
 *   controllers for children of a group that has processes, and the caller has (rkt itself).
 *
 * stage0 creates the groups and writes every limit before the helper starts; the helper only moves
 * each app into its group. The groups are removed with the pod (`removeCgroups`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';
import { readMounts, type MountEntry } from '../sys/mountinfo.js';

export const V1_CONTROLLERS = ['memory', 'cpu', 'pids', 'devices'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export type CgroupLayout =
  /** `cpuset`: joined only by a group that sets cpus or mems (a new v1 cpuset group has none to run on). */
  | { version: 1; controllers: Record<V1Controller, { mount: string; callerPath: string }>; cpuset?: { mount: string; callerPath: string } }
  | { version: 2; mount: string };

export interface AppResources {
  memoryBytes?: number;
  cpuMillis?: number;
  cpuShares?: number;
  pidsMax?: number;
  /** Deny every device but the runc default list (v1 devices controller). */
  restrictDevices: boolean;
  /** A CFS quota with its own period (runtime-spec cpu.quota/period), in place of cpuMillis. */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  /** Memory plus swap (v1 memory.memsw.limit_in_bytes); -1 unlimited; absent: twice memoryBytes. */
  memorySwapBytes?: number;
  /** v1 device rules in order (`c 1:3 rwm`), written after the runc default list when restrictDevices. */
  deviceRules?: { allow: boolean; rule: string }[];
  /** Soft limit: v1 memory.soft_limit_in_bytes, v2 memory.low. */
  memoryReservationBytes?: number;
  /** v1 only: memory.swappiness, memory.oom_control, memory.kmem[.tcp].limit_in_bytes. */
  memorySwappiness?: number;
  memoryDisableOomKiller?: boolean;
  memoryKernelBytes?: number;
  memoryKernelTcpBytes?: number;
  /** v1 only: cpu.rt_period_us and cpu.rt_runtime_us (the runtime also given to the groups made above). */
  cpuRealtimePeriodUs?: number;
  cpuRealtimeRuntimeUs?: number;
  /** cpuset.cpus and cpuset.mems (`0-1`, `0`). */
  cpusetCpus?: string;
  cpusetMems?: string;
}


export interface AppCgroup {
  /** The directories the app joins (one per v1 controller, or one on v2). */
  dirs: string[];
  /** What to show inside the app at /sys/fs/cgroup: v1 `<controller>` → dir; v2 one dir at `''`. */
  views: { name: string; dir: string }[];
}

export interface PodCgroups {
  version: 1 | 2;
  apps: Map<string, AppCgroup>;
  /** Every directory created, deepest first: what removal rmdirs. */
  created: string[];
}

/** runc's AllowedDevices: null zero full random urandom tty console ptmx pts/*, and mknod of any. */
export const ALLOWED_DEVICES = [
  'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
  'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm',
];

const CPU_PERIOD_US = 100_000;

function cgroupError(message: string, hint?: string): RktError {
  return new RktError('system', 'ERR_CGROUP', message, hint === undefined ? {} : { hint });
}

/** Reads the mount table and /proc/self/cgroup; v1 wins on hybrid hosts, as in runc. */
export function detectCgroupLayout(mounts: MountEntry[] = readMounts(), selfCgroup: string = fs.readFileSync('/proc/self/cgroup', 'utf8')): CgroupLayout {
  const callerPaths = new Map<string, string>();
  for (const line of selfCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match) for (const controller of match[1]!.split(',')) callerPaths.set(controller, match[2]!);
  }
  const v1 = mounts.filter((entry) => entry.fstype === 'cgroup');
  if (v1.some((entry) => entry.superOptions.includes('memory') || entry.superOptions.includes('pids'))) {
    const controllers = {} as Record<V1Controller, { mount: string; callerPath: string }>;
    for (const controller of V1_CONTROLLERS) {
      const mount = v1.find((entry) => entry.superOptions.includes(controller));
      if (!mount) throw cgroupError(`cgroup v1: the ${controller} controller is not mounted`, `mount it (e.g. mount -t cgroup -o ${controller} cgroup /sys/fs/cgroup/${controller})`);
      controllers[controller] = { mount: mount.mountPoint, callerPath: callerPaths.get(controller) ?? '/' };
    }
    const cpuset = v1.find((entry) => entry.superOptions.includes('cpuset'));
    return { version: 1, controllers, ...(cpuset ? { cpuset: { mount: cpuset.mountPoint, callerPath: callerPaths.get('cpuset') ?? '/' } } : {}) };
  }
  const unified = mounts.find((entry) => entry.fstype === 'cgroup2' && entry.mountPoint === '/sys/fs/cgroup');
  if (unified) return { version: 2, mount: unified.mountPoint };
  throw cgroupError('no cgroup hierarchy found (neither v1 controllers nor cgroup2 at /sys/fs/cgroup)');
}

function writeFile(dir: string, name: string, value: string): void {
  try {
    fs.writeFileSync(path.join(dir, name), value);
  } catch (error) {
    throw cgroupError(`cannot write ${value.trim()} to ${path.join(dir, name)}: ${(error as Error).message}`);
  }
}

function makeDir(dir: string, created: string[]): void {
  try {
    fs.mkdirSync(dir, { mode: 0o755 });
    created.unshift(dir);
  } catch (error) {
    throw cgroupError(`cannot create cgroup ${dir}: ${(error as Error).message}`);
  }
}

/** cpu.shares (2–262144) to cgroup v2 cpu.weight (1–10000), the conversion runc and systemd use. */
export function sharesToWeight(shares: number): number {
  return Math.round(1 + ((shares - 2) * 9999) / 262142);
}

/** Writes one app's limits into its v1 groups. */
export function writeV1Limits(dirs: Record<V1Controller, string>, resources: AppResources): void {
  if (resources.memoryBytes !== undefined) {
    writeFile(dirs.memory, 'memory.limit_in_bytes', String(resources.memoryBytes));
    // swap as much as the limit (Docker's default), where swap accounting exists
    if (fs.existsSync(path.join(dirs.memory, 'memory.memsw.limit_in_bytes'))) {
      writeFile(dirs.memory, 'memory.memsw.limit_in_bytes', String(resources.memorySwapBytes ?? resources.memoryBytes * 2));
    }
  }
  if (resources.cpuPeriodUs !== undefined) writeFile(dirs.cpu, 'cpu.cfs_period_us', String(resources.cpuPeriodUs));
  if (resources.cpuQuotaUs !== undefined) writeFile(dirs.cpu, 'cpu.cfs_quota_us', String(resources.cpuQuotaUs));
  if (resources.cpuMillis !== undefined) {
    writeFile(dirs.cpu, 'cpu.cfs_period_us', String(CPU_PERIOD_US));
    writeFile(dirs.cpu, 'cpu.cfs_quota_us', String((resources.cpuMillis * CPU_PERIOD_US) / 1000));
  }
  if (resources.memoryReservationBytes !== undefined) writeFile(dirs.memory, 'memory.soft_limit_in_bytes', String(resources.memoryReservationBytes));
  if (resources.memorySwappiness !== undefined) writeFile(dirs.memory, 'memory.swappiness', String(resources.memorySwappiness));
  if (resources.memoryDisableOomKiller) writeFile(dirs.memory, 'memory.oom_control', '1');
  if (resources.memoryKernelBytes !== undefined) writeFile(dirs.memory, 'memory.kmem.limit_in_bytes', String(resources.memoryKernelBytes));
  if (resources.memoryKernelTcpBytes !== undefined) writeFile(dirs.memory, 'memory.kmem.tcp.limit_in_bytes', String(resources.memoryKernelTcpBytes));
  if (resources.cpuShares !== undefined) writeFile(dirs.cpu, 'cpu.shares', String(resources.cpuShares));
  // the period first: a runtime above the current period is refused
  if (resources.cpuRealtimePeriodUs !== undefined) writeFile(dirs.cpu, 'cpu.rt_period_us', String(resources.cpuRealtimePeriodUs));
  if (resources.cpuRealtimeRuntimeUs !== undefined) writeFile(dirs.cpu, 'cpu.rt_runtime_us', String(resources.cpuRealtimeRuntimeUs));
  if (resources.pidsMax !== undefined) writeFile(dirs.pids, 'pids.max', String(resources.pidsMax));
  if (resources.restrictDevices) {
    writeFile(dirs.devices, 'devices.deny', 'a');
    for (const rule of ALLOWED_DEVICES) writeFile(dirs.devices, 'devices.allow', rule);
  }
  for (const rule of resources.deviceRules ?? []) writeFile(dirs.devices, rule.allow ? 'devices.allow' : 'devices.deny', rule.rule);
}

/** The v2 controllers these limits need. */
export function v2ControllersFor(resources: AppResources): string[] {
  return [
    ...(resources.memoryBytes !== undefined || resources.memoryReservationBytes !== undefined ? ['memory'] : []),
    ...(resources.cpuMillis !== undefined || resources.cpuShares !== undefined || resources.cpuQuotaUs !== undefined ? ['cpu'] : []),
    ...(resources.pidsMax !== undefined ? ['pids'] : []),
    ...(resources.cpusetCpus !== undefined || resources.cpusetMems !== undefined ? ['cpuset'] : []),
  ];
}

/** Writes one app's limits into its v2 group. */
export function writeV2Limits(dir: string, resources: AppResources): void {
  if (resources.memoryBytes !== undefined) {
    writeFile(dir, 'memory.max', String(resources.memoryBytes));
    if (fs.existsSync(path.join(dir, 'memory.swap.max'))) writeFile(dir, 'memory.swap.max', String(resources.memoryBytes));
  }
  if (resources.cpuMillis !== undefined) writeFile(dir, 'cpu.max', `${(resources.cpuMillis * CPU_PERIOD_US) / 1000} ${CPU_PERIOD_US}`);
  if (resources.cpuQuotaUs !== undefined) {
    writeFile(dir, 'cpu.max', `${resources.cpuQuotaUs < 0 ? 'max' : resources.cpuQuotaUs} ${resources.cpuPeriodUs ?? CPU_PERIOD_US}`);
  }
  if (resources.cpuShares !== undefined) writeFile(dir, 'cpu.weight', String(sharesToWeight(resources.cpuShares)));
  if (resources.pidsMax !== undefined) writeFile(dir, 'pids.max', String(resources.pidsMax));
  if (resources.memoryReservationBytes !== undefined) writeFile(dir, 'memory.low', String(resources.memoryReservationBytes));
  if (resources.cpusetCpus !== undefined) writeFile(dir, 'cpuset.cpus', resources.cpusetCpus);
  if (resources.cpusetMems !== undefined) writeFile(dir, 'cpuset.mems', resources.cpusetMems);
}

/** Enables controllers for the children of `dir` (v2), refusing clearly when the kernel lacks one. */
function enableV2Controllers(dir: string, controllers: string[]): void {
  if (controllers.length === 0) return;
  const available = fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  const missing = controllers.filter((name) => !available.includes(name));
  if (missing.length > 0) {
    throw cgroupError(`cgroup v2: controller(s) ${missing.join(', ')} not available in ${dir}`, 'enable them in the parent group\'s cgroup.subtree_control, or on a hybrid host use the v1 hierarchy');
  }
  const enabled = fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/);
  const wanted = controllers.filter((name) => !enabled.includes(name));
  if (wanted.length > 0) writeFile(dir, 'cgroup.subtree_control', wanted.map((name) => `+${name}`).join(' '));
}

export interface CreatePodCgroupsInput {
  layout: CgroupLayout;
  uuid: string;
  apps: { name: string; resources: AppResources }[];
  /** v2 only: the group under the mount that holds every pod (default `rkt`). */
  v2Parent?: string;
}

/** Creates the pod's and its apps' groups and writes their limits. On failure, removes what it made. */
export function createPodCgroups(input: CreatePodCgroupsInput): PodCgroups {
  const created: string[] = [];
  const apps = new Map<string, AppCgroup>();
  try {
    if (input.layout.version === 1) {
      const podDirs = {} as Record<V1Controller, string>;
      for (const controller of V1_CONTROLLERS) {
        const { mount, callerPath } = input.layout.controllers[controller];
        podDirs[controller] = path.join(mount, callerPath, `rkt-${input.uuid}`);
        makeDir(podDirs[controller], created);
      }
      for (const app of input.apps) {
        const dirs = {} as Record<V1Controller, string>;
        for (const controller of V1_CONTROLLERS) {
          dirs[controller] = path.join(podDirs[controller], app.name);
          makeDir(dirs[controller], created);
        }
        writeV1Limits(dirs, app.resources);
        apps.set(app.name, { dirs: V1_CONTROLLERS.map((c) => dirs[c]), views: V1_CONTROLLERS.map((c) => ({ name: c, dir: dirs[c] })) });
      }
      return { version: 1, apps, created };
    }
    const needed = [...new Set(input.apps.flatMap((app) => v2ControllersFor(app.resources)))];
    const parent = path.join(input.layout.mount, input.v2Parent ?? 'rkt');
    enableV2Controllers(input.layout.mount, needed);
    if (!fs.existsSync(parent)) fs.mkdirSync(parent, { mode: 0o755 });
    enableV2Controllers(parent, needed);
    const podDir = path.join(parent, input.uuid);
    makeDir(podDir, created);
    enableV2Controllers(podDir, needed);
    for (const app of input.apps) {
      const dir = path.join(podDir, app.name);
      makeDir(dir, created);
      writeV2Limits(dir, app.resources);
      apps.set(app.name, { dirs: [dir], views: [{ name: '', dir }] });
    }
    return { version: 2, apps, created };
  } catch (error) {
    removeCgroups(created);
    throw error;
  }
}

/**
 * rmdir each group, deepest first. A group whose last process has just died can be busy for a
 * moment while the kernel finishes; that is retried briefly. Missing groups are fine.
 */
export function removeCgroups(dirs: readonly string[]): void {
  const failures: string[] = [];
  for (const dir of dirs) {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.rmdirSync(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code === 'EBUSY' && attempt < 50) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
          continue;
        }
        failures.push(`${dir}: ${(error as Error).message}`);
        break;
      }
    }
  }
  if (failures.length > 0) throw cgroupError(`cannot remove cgroup(s): ${failures.join('; ')}`);
}

export interface CgroupAtInput {
  layout: CgroupLayout;
  /** Absolute: from the hierarchy's root; relative: under the caller's own group (as runc's cgroupfs driver). */
  cgroupsPath: string;
  resources: AppResources;
}

/**
 * One group at an explicit path (the runtime-spec's `cgroupsPath`), in every v1 controller rkt uses
 * or once on v2, created with its missing parents (recorded in `created`, deepest first, so removal
 * takes exactly those) and filled with the limits. On failure, removes what it made.
 */
export function createCgroupAt(input: CgroupAtInput): AppCgroup & { created: string[] } {
  const created: string[] = [];
  const relative = input.cgroupsPath.split('/').filter((part) => part !== '' && part !== '.');
  if (relative.includes('..')) throw cgroupError(`cgroupsPath ${input.cgroupsPath} must not contain ".."`);
  const under = (mount: string, callerPath: string) => path.join(mount, input.cgroupsPath.startsWith('/') ? '/' : callerPath, ...relative);
  const makeAll = (dir: string, root: string, each?: (parent: string) => void, made?: (dir: string) => void) => {
    const parts = path.relative(root, dir).split(path.sep).filter((part) => part !== '');
    let current = root;
    for (const part of parts) {
      each?.(current);
      current = path.join(current, part);
      if (!fs.existsSync(current)) {
        makeDir(current, created);
        made?.(current);
      }
    }
  };
  try {
    if (input.layout.version === 1) {
      const dirs = {} as Record<V1Controller, string>;
      for (const controller of V1_CONTROLLERS) {
        const { mount, callerPath } = input.layout.controllers[controller];
        dirs[controller] = under(mount, callerPath);
        makeAll(dirs[controller], mount);
      }
      if (input.resources.cpuRealtimeRuntimeUs !== undefined) {
        // a group's realtime runtime comes out of its parent's: the groups made here get it too, top down
        for (const dir of created.filter((made) => made.startsWith(`${dirs.cpu}/`) || dirs.cpu.startsWith(`${made}/`)).reverse()) {
          if (dir !== dirs.cpu) writeFile(dir, 'cpu.rt_runtime_us', String(input.resources.cpuRealtimeRuntimeUs));
        }
      }
      writeV1Limits(dirs, input.resources);
      const joined = V1_CONTROLLERS.map((c) => ({ name: c as string, dir: dirs[c] }));
      if (input.resources.cpusetCpus !== undefined || input.resources.cpusetMems !== undefined) {
        const cpuset = input.layout.cpuset;
        if (!cpuset) throw cgroupError('cgroup v1: the cpuset controller is not mounted (linux.resources.cpu.cpus or mems)');
        const dir = under(cpuset.mount, cpuset.callerPath);
        // a new cpuset group has no cpus or mems, and no process can join it: each one made gets its parent's
        makeAll(dir, cpuset.mount, undefined, (made) => {
          for (const file of ['cpuset.cpus', 'cpuset.mems']) writeFile(made, file, fs.readFileSync(path.join(path.dirname(made), file), 'utf8').trim());
        });
        if (input.resources.cpusetCpus !== undefined) writeFile(dir, 'cpuset.cpus', input.resources.cpusetCpus);
        if (input.resources.cpusetMems !== undefined) writeFile(dir, 'cpuset.mems', input.resources.cpusetMems);
        joined.push({ name: 'cpuset', dir });
      }
      return { dirs: joined.map((view) => view.dir), views: joined, created };
    }
    if (input.resources.deviceRules?.length) {
      throw cgroupError('cgroup v2: device rules need a BPF device program, which rkt does not write yet', 'run on a host with the v1 devices controller, or leave linux.resources.devices empty');
    }
    const mount = input.layout.mount;
    const callerPath = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((line) => line.startsWith('0::'))?.slice(3) ?? '/';
    const dir = under(mount, callerPath);
    const needed = v2ControllersFor(input.resources);
    makeAll(dir, mount, (parent) => enableV2Controllers(parent, needed));
    writeV2Limits(dir, input.resources);
    return { dirs: [dir], views: [{ name: '', dir }], created };
  } catch (error) {
    removeCgroups(created);
    throw error;
  }
}
