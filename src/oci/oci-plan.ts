/**
 * A bundle's config.json translated into the stage1 plan the helper already executes: one app,
 * `container`, whose root is the bundle's rootfs (the pod root itself), waiting on a FIFO until
 * `start`. Every field is either carried out or refused by name; nothing security-relevant is
 * ignored. The cgroup is created here (stage0's job for `rkt run`), the seccomp program compiled
 * and written to the container's state directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CAPABILITY_NUMBERS, capabilityMask, formatCapabilityMask } from '../isolation/capabilities.js';
import { ALLOWED_DEVICES, createCgroupAt, detectCgroupLayout, removeCgroups, type AppResources } from '../isolation/cgroups.js';
import { compileConditionalSeccomp, encodeProgram } from '../isolation/seccomp-bpf.js';
import type { OciHook, OciMount, OciProcess, OciResources, OciRuntimeConfig } from '../schema/oci-runtime-config.js';
import type { AppPlan, MountFlag, MountOption, MountStep, PodStep, Stage1Plan, StartHookPlan, UserNamespaceMaps } from '../stage1/stage1-plan.js';
import { unsupported } from './oci-errors.js';
import { containerNamespaces, containerSysctls, mountDataInUserNamespace } from './oci-namespaces.js';
import { ociSeccompProfile } from './oci-seccomp.js';

export const APP_NAME = 'container';

export interface ContainerFiles {
  dir: string;
  plan: string;
  errorFile: string;
  statusDir: string;
  fifo: string;
  /** `pause-fifo`: create waits there, before pivot_root, for the create-time hooks. */
  pause: string;
  /** `pids-dir`: the program's PID once exec'd (start waits for it). */
  pidsDir: string;
  seccomp: string;
  created: string;
  paused: string;
}

export function containerFiles(dir: string): ContainerFiles {
  return {
    dir,
    plan: path.join(dir, 'plan'),
    errorFile: path.join(dir, 'error.json'),
    statusDir: path.join(dir, 'status'),
    fifo: path.join(dir, 'exec.fifo'),
    pause: path.join(dir, 'pause.fifo'),
    pidsDir: path.join(dir, 'pids'),
    seccomp: path.join(dir, 'seccomp.bpf'),
    created: path.join(dir, 'status', `${APP_NAME}.created`),
    paused: path.join(dir, 'status', `${APP_NAME}.paused`),
  };
}

const present = (value: unknown): boolean =>
  value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0) && !(typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0);

const FLAG_OPTIONS: Record<string, MountFlag[]> = {
  ro: ['ro'], nosuid: ['nosuid'], nodev: ['nodev'], noexec: ['noexec'], bind: ['bind'], rbind: ['bind', 'rec'], remount: ['remount'],
  private: ['private'], rprivate: ['private', 'rec'], slave: ['slave'], rslave: ['slave', 'rec'], shared: ['shared'], rshared: ['shared', 'rec'],
  unbindable: ['unbindable'], runbindable: ['unbindable', 'rec'], strictatime: ['strictatime'], relatime: ['relatime'], noatime: ['noatime'],
};
/** The defaults the kernel applies anyway. */
const NO_OP_OPTIONS = new Set(['rw', 'suid', 'dev', 'exec', 'async', 'atime', 'defaults', 'norelatime', 'nostrictatime', 'diratime', 'loud', 'nomand']);
/** Mount options rkt-oci carries out (features' `mountOptions`); others are file-system data or refused. */
export const MOUNT_OPTIONS = [...Object.keys(FLAG_OPTIONS), ...NO_OP_OPTIONS];
/** Flags the helper cannot set; refused rather than passed as data, where the kernel would mistake them. */
const REFUSED_OPTIONS = new Set([
  'sync', 'dirsync', 'mand', 'nodiratime', 'silent', 'iversion', 'noiversion', 'lazytime', 'nolazytime',
  'nosymfollow', 'symfollow', 'tmpcopyup', 'idmap', 'ridmap', 'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec',
  'rnoatime', 'ratime', 'rrelatime', 'rstrictatime', 'rnodiratime', 'rdiratime', 'rnosymfollow', 'rsymfollow',
]);
const KERNEL_FILESYSTEMS = new Set(['/proc', '/sys', '/dev']);

/**
 * A destination as a clean absolute path: runtime-spec 1.2 allows relative ones (deprecated, "for
 * compatibility with old tools and configurations", taken relative to "/"); runc has always taken
 * them so, and so does rkt-oci for every version.
 */
function containerPath(destination: string): string {
  const clean = path.posix.normalize(`/${destination}`);
  return clean.length > 1 ? clean.replace(/\/$/, '') : clean;
}

function mountStep(mount: OciMount, index: number, bundle: string, userNamespace: UserNamespaceMaps | undefined): MountStep {
  const field = `mounts.${index}`;
  if (present(mount.uidMappings) || present(mount.gidMappings)) throw unsupported(`${field}.uidMappings`, '(id-mapped mounts) is not supported yet');
  const flags: MountFlag[] = [];
  const data: string[] = [];
  for (const option of mount.options ?? []) {
    const known = FLAG_OPTIONS[option];
    if (known) flags.push(...known.filter((flag) => !flags.includes(flag)));
    else if (REFUSED_OPTIONS.has(option)) throw unsupported(`${field}.options`, `option "${option}" is not supported yet`);
    else if (!NO_OP_OPTIONS.has(option)) data.push(option);
  }
  const bind = mount.type === 'bind' || flags.includes('bind');
  if (bind && !flags.includes('bind')) flags.push('bind');
  const options: MountOption[] = KERNEL_FILESYSTEMS.has(mount.destination) ? ['nofollow'] : [];
  let source = mount.source;
  if (bind) {
    if (source === undefined) throw unsupported(`${field}.source`, 'is required for a bind mount');
    source = path.resolve(bundle, source);
    let isDir: boolean;
    try {
      isDir = fs.statSync(source).isDirectory();
    } catch (error) {
      throw unsupported(`${field}.source`, `cannot be bound: ${(error as Error).message}`);
    }
    options.push(isDir ? 'mkdir' : 'mkfile');
  } else {
    if (mount.type === undefined) throw unsupported(`${field}.type`, 'is required unless the mount is a bind mount');
    options.push('mkdir');
    if (userNamespace) data.splice(0, data.length, ...mountDataInUserNamespace(mount.type, data, userNamespace, field));
  }
  return {
    kind: 'mount',
    ...(source === undefined ? {} : { source }),
    target: mount.destination,
    ...(bind ? {} : { fstype: mount.type! }),
    flags,
    ...(data.length > 0 && !bind ? { data: data.join(',') } : {}),
    options,
  };
}

/** The container's cgroups, read-only at the destination: one bind on v2, a tmpfs of binds on v1. */
function cgroupViewSteps(destination: string, views: { name: string; dir: string }[], readOnly: boolean): PodStep[] {
  const flags: MountFlag[] = [...(readOnly ? (['ro'] as const) : []), 'nosuid', 'nodev', 'noexec'];
  if (views.length === 1 && views[0]!.name === '') {
    return [{ kind: 'mount', source: views[0]!.dir, target: destination, flags: ['bind', ...flags], options: ['mkdir', 'nofollow'] }];
  }
  return [
    { kind: 'mount', source: 'tmpfs', target: destination, fstype: 'tmpfs', flags: ['nosuid', 'nodev', 'noexec'], data: 'mode=755,size=64k', options: ['mkdir', 'nofollow'] },
    ...views.map((view): PodStep => ({ kind: 'mount', source: view.dir, target: `${destination}/${view.name}`, flags: ['bind', ...flags], options: ['mkdir', 'nofollow'] })),
    ...(readOnly ? [{ kind: 'mount', target: destination, flags: ['bind', 'remount', ...flags], options: ['nofollow'] } as PodStep] : []),
  ];
}

const DEFAULT_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/** runc's default devices (bound from the host's) and /dev symlinks, for a /dev the config mounts. */
function devSteps(hasPts: boolean): PodStep[] {
  const steps: PodStep[] = DEFAULT_DEVICES.map((name): PodStep => ({ kind: 'mount', source: `/dev/${name}`, target: `/dev/${name}`, flags: ['bind'], options: ['mkfile', 'nofollow'] }));
  steps.push(
    { kind: 'symlink', target: '/proc/self/fd', linkPath: '/dev/fd' },
    { kind: 'symlink', target: '/proc/self/fd/0', linkPath: '/dev/stdin' },
    { kind: 'symlink', target: '/proc/self/fd/1', linkPath: '/dev/stdout' },
    { kind: 'symlink', target: '/proc/self/fd/2', linkPath: '/dev/stderr' },
    ...(hasPts ? [{ kind: 'symlink', target: 'pts/ptmx', linkPath: '/dev/ptmx' } as PodStep] : []),
  );
  return steps;
}

/**
 * linux.devices made with mknod, as runc does outside a user namespace: the type, numbers, mode
 * (runc's default 0666) and owner the config gives, whether or not the host has such a node.
 */
function deviceSteps(config: OciRuntimeConfig, hasPts: boolean): PodStep[] {
  const steps: PodStep[] = [];
  for (const [i, device] of (config.linux?.devices ?? []).entries()) {
    const field = `linux.devices.${i}`;
    // runc replaces a /dev/ptmx node with the pts/ptmx symlink when /dev/pts is mounted (privileged
    // containers list the host's /dev/ptmx among their devices): devSteps makes that symlink.
    if (device.path === '/dev/ptmx' && hasPts) continue;
    if (!device.path.startsWith('/')) throw unsupported(`${field}.path`, `must be an absolute path, not "${device.path}"`);
    const type = device.type === 'u' ? 'c' : device.type;
    if (type !== 'c' && type !== 'b' && type !== 'p') throw unsupported(`${field}.type`, `"${device.type}" is not c, b, u or p`);
    const number = (value: number | undefined, name: 'major' | 'minor', max: number): number => {
      if (type === 'p') return 0;
      if (value === undefined || !Number.isInteger(value) || value < 0 || value > max) throw unsupported(`${field}.${name}`, `must be 0 to ${max} for a ${type === 'b' ? 'block' : 'character'} device`);
      return value;
    };
    steps.push({
      kind: 'mknod', path: device.path, type, major: number(device.major, 'major', 4095), minor: number(device.minor, 'minor', 1048575),
      mode: (device.fileMode ?? 0o666) & 0o7777, uid: device.uid ?? 0, gid: device.gid ?? 0,
    });
  }
  return steps;
}

function maskSteps(config: OciRuntimeConfig, rootfs: string): PodStep[] {
  const kindOf = (target: string): 'dir' | 'file' => {
    // /proc and /sys in the container are this kernel's; anything else is looked at in the rootfs
    const where = target.startsWith('/proc/') || target.startsWith('/sys/') ? target : path.join(rootfs, target);
    try {
      return fs.statSync(where).isDirectory() ? 'dir' : 'file';
    } catch {
      return 'file';
    }
  };
  return [
    ...(config.linux?.maskedPaths ?? []).map((target): PodStep =>
      kindOf(target) === 'dir'
        ? { kind: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: ['ro', 'nosuid', 'nodev', 'noexec'], data: 'size=0', options: ['optional'] }
        : { kind: 'mount', source: '/dev/null', target, flags: ['bind'], options: ['optional'] },
    ),
    ...(config.linux?.readonlyPaths ?? []).map((target): PodStep => ({
      kind: 'mount', target, flags: ['bind', 'rec', 'ro', 'nosuid', 'nodev', 'noexec'], options: ['self', 'optional'],
    })),
  ];
}

/**
 * linux.rootfsPropagation for the helper's `root-propagation`. The container's mount namespace is cut
 * from the host's first (private), so `shared` makes a peer group of the container's own: mounts
 * made under "/" appear in its other binds of "/", never on the host. `slave` receives the host's.
 */
function rootPropagationOf(value: string | undefined): Stage1Plan['rootPropagation'] {
  if (value === undefined || value === '') return undefined;
  const recursive = value.startsWith('r');
  const mode = recursive ? value.slice(1) : value;
  if (mode !== 'private' && mode !== 'slave' && mode !== 'shared' && mode !== 'unbindable') {
    throw unsupported('linux.rootfsPropagation', `"${value}" is not one of [r]private, [r]slave, [r]shared, [r]unbindable`);
  }
  return { mode, recursive };
}

/** `0-3,7`: the kernel's list format, checked here so a bad value is named by its field. */
function cpusetList(value: string, field: string): string {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(value)) throw unsupported(`linux.resources.${field}`, `("${value}") is not a list such as 0-3,7`);
  return value;
}

function resources(config: OciRuntimeConfig, cgroupVersion: 1 | 2): AppResources {
  const r: OciResources = config.linux?.resources ?? {};
  const refuse = (field: string, value: unknown) => {
    if (present(value)) throw unsupported(`linux.resources.${field}`);
  };
  // cgroup v2 has no file for these; refused there rather than dropped
  const v1Only = (field: string, value: unknown) => {
    if (cgroupVersion === 2 && present(value)) throw unsupported(`linux.resources.${field}`, 'has no equivalent on cgroup v2 (this host\'s hierarchy)');
  };
  refuse('blockIO', r.blockIO);
  refuse('hugepageLimits', r.hugepageLimits);
  refuse('network', r.network);
  refuse('rdma', r.rdma);
  refuse('unified', r.unified);
  const out: AppResources = { restrictDevices: false };
  if (r.memory) {
    const memory = r.memory;
    for (const key of ['swappiness', 'kernel', 'kernelTCP'] as const) v1Only(`memory.${key}`, memory[key]);
    if (memory.disableOOMKiller) v1Only('memory.disableOOMKiller', true);
    if (memory.limit !== undefined && memory.limit > 0) out.memoryBytes = memory.limit;
    if (memory.swap !== undefined && memory.swap !== 0) out.memorySwapBytes = memory.swap;
    if (memory.reservation !== undefined && memory.reservation > 0) out.memoryReservationBytes = memory.reservation;
    if (memory.swappiness !== undefined && memory.swappiness !== null) {
      if (memory.swappiness > 100) throw unsupported('linux.resources.memory.swappiness', `(${memory.swappiness}) must be 0 to 100`);
      out.memorySwappiness = memory.swappiness;
    }
    if (memory.disableOOMKiller) out.memoryDisableOomKiller = true;
    // kernel memory limits (NOT RECOMMENDED since 1.1; not in cgroup v2): 0 and -1 (runc's "unset"
    // and "no limit") ask for nothing
    if (memory.kernel !== undefined && memory.kernel !== 0 && memory.kernel !== -1) out.memoryKernelBytes = memory.kernel;
    if (memory.kernelTCP !== undefined && memory.kernelTCP !== 0 && memory.kernelTCP !== -1) out.memoryKernelTcpBytes = memory.kernelTCP;
    // hierarchical accounting is all the kernel does now; turning it off cannot be done
    if (memory.useHierarchy === false) throw unsupported('linux.resources.memory.useHierarchy', 'false cannot be applied: the kernel always accounts memory hierarchically');
    // checkBeforeUpdate concerns `update`, which rkt-oci does not implement: nothing to apply
  }
  if (r.cpu) {
    const cpu = r.cpu;
    for (const key of ['idle', 'burst'] as const) if (cpu[key] !== undefined && cpu[key] !== 0) refuse(`cpu.${key}`, cpu[key]);
    for (const key of ['realtimeRuntime', 'realtimePeriod'] as const) if (cpu[key] !== 0) v1Only(`cpu.${key}`, cpu[key]);
    if (cpu.shares !== undefined && cpu.shares !== 0) out.cpuShares = cpu.shares;
    if (cpu.quota !== undefined && cpu.quota !== 0) out.cpuQuotaUs = cpu.quota;
    if (cpu.period !== undefined && cpu.period !== 0) out.cpuPeriodUs = cpu.period;
    if (cpu.realtimePeriod !== undefined && cpu.realtimePeriod !== 0) out.cpuRealtimePeriodUs = cpu.realtimePeriod;
    if (cpu.realtimeRuntime !== undefined && cpu.realtimeRuntime !== 0) out.cpuRealtimeRuntimeUs = cpu.realtimeRuntime;
    if (cpu.cpus) out.cpusetCpus = cpusetList(cpu.cpus, 'cpu.cpus');
    if (cpu.mems) out.cpusetMems = cpusetList(cpu.mems, 'cpu.mems');
  }
  if (r.pids?.limit !== undefined && r.pids.limit > 0) out.pidsMax = r.pids.limit;
  if (r.devices && r.devices.length > 0) {
    const rules = r.devices.map((rule) => {
      const type = rule.type ?? 'a';
      const number = (value: number | null | undefined) => (value === undefined || value === null || value < 0 ? '*' : String(value));
      return { allow: rule.allow, rule: type === 'a' ? 'a' : `${type} ${number(rule.major)}:${number(rule.minor)} ${rule.access || 'rwm'}` };
    });
    // runc appends its default device list after the configuration's rules; the nodes the config
    // makes (linux.devices) are allowed too, or they would be there and unusable
    const made = (config.linux?.devices ?? []).filter((device) => device.type !== 'p')
      .map((device) => ({ allow: true, rule: `${device.type === 'b' ? 'b' : 'c'} ${device.major ?? 0}:${device.minor ?? 0} rwm` }));
    out.deviceRules = [...rules, ...ALLOWED_DEVICES.map((rule) => ({ allow: true, rule })), ...made];
  }
  return out;
}

const RLIMITS = new Set([
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK',
  'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
]);

function rlimitValue(value: number, field: string): string {
  if (value >= 2 ** 64 - 1) return 'unlimited';
  if (!Number.isSafeInteger(value)) throw unsupported(field, `(${value}) is above 2^53 and cannot be read exactly from JSON here`);
  return String(value);
}

export function capabilitySets(proc: OciProcess | undefined, notes: string[]): Pick<AppPlan, 'capsBounding' | 'capsEffective' | 'capsPermitted' | 'capsInheritable' | 'capsAmbient'> {
  const caps = proc?.capabilities ?? {};
  const mask = (set: keyof typeof caps) => {
    const names = (caps[set] ?? []).filter((name) => {
      if (name in CAPABILITY_NUMBERS) return true;
      notes.push(`capabilities: ignoring ${name} in ${set}, unknown to this kernel's list`);
      return false;
    });
    return formatCapabilityMask(capabilityMask(names));
  };
  // The kernel raises an ambient capability only if it is permitted and inheritable; runc (1.2)
  // skips the others with a warning, and so does rkt-oci (a note under --debug).
  const ambient = (caps.ambient ?? []).filter((name) => {
    const ok = (caps.permitted ?? []).includes(name) && (caps.inheritable ?? []).includes(name);
    if (!ok && name in CAPABILITY_NUMBERS) notes.push(`capabilities: not raising ${name} into the ambient set: it is not both permitted and inheritable`);
    return ok;
  });
  // an absent set is empty: a container gets no capability it was not given
  return {
    capsBounding: mask('bounding'), capsEffective: mask('effective'), capsPermitted: mask('permitted'), capsInheritable: mask('inheritable'),
    capsAmbient: formatCapabilityMask(capabilityMask(ambient.filter((name) => name in CAPABILITY_NUMBERS))),
  };
}

/** A unix socket address (sun_path) holds 107 bytes and a NUL. */
const MAX_SOCKET_PATH = 107;

/**
 * process.terminal with `--console-socket` (runc's protocol, docs/oci-runtime.md): the app gets a
 * pty of its own, whose master goes to the socket. rkt-oci never relays a terminal itself, so a
 * terminal without a socket is refused, and so is a socket without a terminal (as runc does).
 */
export function consoleFields(proc: OciProcess, consoleSocket: string | undefined): Pick<AppPlan, 'consoleSocket' | 'consoleSize'> {
  if (!proc.terminal) {
    if (consoleSocket !== undefined) throw unsupported('process.terminal', 'is false, so there is no terminal to send to --console-socket');
    return {};
  }
  if (consoleSocket === undefined) throw unsupported('process.terminal', 'needs --console-socket: rkt-oci sends the terminal there and relays none itself');
  const socket = path.resolve(consoleSocket);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) throw unsupported('process.terminal', `cannot be sent to ${socket}: a unix socket path holds at most ${MAX_SOCKET_PATH} bytes`);
  const size = proc.consoleSize;
  if (size && (size.height > 65535 || size.width > 65535)) throw unsupported('process.consoleSize', 'must be at most 65535 rows and columns');
  // runc, too, leaves the kernel's size when either is 0
  return { consoleSocket: socket, ...(size && size.height > 0 && size.width > 0 ? { consoleSize: { rows: size.height, cols: size.width } } : {}) };
}

/**
 * The process fields rkt-oci does not apply, refused by name. execCPUAffinity is the exception at
 * create: the spec does not apply it to the container's first process, only to exec'd ones.
 */
export function refuseUnappliedProcessFields(proc: OciProcess, use: 'create' | 'exec', notes: string[]): void {
  if (proc.apparmorProfile) throw unsupported('process.apparmorProfile', '(AppArmor) is not supported');
  if (proc.selinuxLabel) throw unsupported('process.selinuxLabel', '(SELinux) is not supported');
  for (const key of ['commandLine', 'scheduler', 'ioPriority'] as const) if (present(proc[key])) throw unsupported(`process.${key}`);
  if (present(proc.execCPUAffinity)) {
    if (use === 'exec') throw unsupported('process.execCPUAffinity');
    notes.push('process.execCPUAffinity: not for the container\'s first process (runtime-spec), so not applied by create');
  }
  if (proc.user.username) throw unsupported('process.user.username', '(a Windows field) is not supported');
}

function umaskOf(value: number): number {
  if (value > 0o777) throw unsupported('process.user.umask', `(${value.toString(8)} octal) must be at most 0777`);
  return value;
}

/** What an app block takes straight from a runtime-spec process; `create` and `exec` share it. */
export function processFields(proc: OciProcess): Pick<AppPlan, 'exec' | 'argv' | 'env' | 'cwd' | 'uid' | 'gid' | 'groups' | 'noNewPrivs' | 'oomScoreAdj' | 'umask' | 'homeFromPasswd'> {
  // callers have refused a process without args already
  const argv = proc.args ?? [];
  return {
    exec: argv[0]!,
    argv,
    env: proc.env ?? [],
    cwd: proc.cwd,
    uid: proc.user.uid,
    gid: proc.user.gid,
    groups: proc.user.additionalGids ?? [],
    // as runc: without HOME in env, the user's home from the container's /etc/passwd (or /)
    homeFromPasswd: true,
    noNewPrivs: proc.noNewPrivileges ?? false,
    ...(proc.oomScoreAdj === undefined ? {} : { oomScoreAdj: proc.oomScoreAdj }),
    ...(proc.user.umask === undefined ? {} : { umask: umaskOf(proc.user.umask) }),
  };
}

/**
 * Where the helper loads the filter, as runc does: without no_new_privs the kernel takes one only
 * from a process with CAP_SYS_ADMIN, so it goes in before the ids and capabilities change (and so
 * also filters the helper's last calls: setuid, capset, the wait for `start`, execve); with
 * no_new_privs, last, just before execve.
 */
export function seccompFields(seccompFile: string | undefined, proc: OciProcess): Pick<AppPlan, 'seccompFile' | 'seccompBeforeIds'> {
  if (seccompFile === undefined) return {};
  return { seccompFile, seccompBeforeIds: !proc.noNewPrivileges };
}

export function appRlimits(proc: OciProcess): AppPlan['rlimits'] {
  for (const [i, limit] of (proc.rlimits ?? []).entries()) if (!RLIMITS.has(limit.type)) throw unsupported(`process.rlimits.${i}.type`, `"${limit.type}" is not an rlimit`);
  return (proc.rlimits ?? []).map((limit, i) => ({ name: limit.type, soft: rlimitValue(limit.soft, `process.rlimits.${i}.soft`), hard: rlimitValue(limit.hard, `process.rlimits.${i}.hard`) }));
}

/** The hooks rkt-oci runs, all the runtime-spec has (oci-hooks.ts, and the helper's start-hook). */
export const RUN_HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

/** prestart, createRuntime, createContainer: run by create before pivot_root (docs/oci-runtime.md). */
export function hasCreateHooks(config: OciRuntimeConfig): boolean {
  const hooks = config.hooks ?? {};
  return [hooks.prestart, hooks.createRuntime, hooks.createContainer].some((list) => (list ?? []).length > 0);
}

/** A startContainer hook, which the helper runs: a timeout of 0 is none. */
function startHook(hook: OciHook): StartHookPlan {
  return { path: hook.path, argv: hook.args ?? [], env: hook.env ?? [], timeout: hook.timeout ?? 0 };
}

export interface OciPlanInput {
  id: string;
  bundle: string;
  config: OciRuntimeConfig;
  files: ContainerFiles;
  lockFd: number;
  /** `create --console-socket`: where the terminal's master goes (process.terminal). */
  consoleSocket?: string;
  /** Messages for --debug: what was skipped and why. */
  notes: string[];
}

export interface OciPlan {
  plan: Stage1Plan;
  rootfs: string;
  /** Cgroup directories made, deepest first (what delete removes), and the ones the app joins. */
  cgroupsCreated: string[];
  cgroupDirs: string[];
}

export function buildOciPlan(input: OciPlanInput): OciPlan {
  const { config, files } = input;
  const proc = config.process;
  if (!proc) throw unsupported('process', 'is required by rkt-oci create');
  if (!proc.args || proc.args.length === 0) throw unsupported('process.args', 'must name a program');
  const terminal = consoleFields(proc, input.consoleSocket);
  // the container's own pseudo-terminals, where the console's pty is made
  const mounts = (config.mounts ?? []).map((mount) => ({ ...mount, destination: containerPath(mount.destination) }));
  if (terminal.consoleSocket && !mounts.some((mount) => mount.type === 'devpts' && mount.destination === '/dev/pts')) {
    throw unsupported('process.terminal', 'needs a devpts mount at /dev/pts in mounts (the container\'s own pseudo-terminals)');
  }
  refuseUnappliedProcessFields(proc, 'create', input.notes);
  const linux = config.linux ?? {};
  for (const key of ['timeOffsets', 'intelRdt', 'personality', 'memoryPolicy', 'netDevices'] as const) if (present(linux[key])) throw unsupported(`linux.${key}`);
  if (linux.mountLabel) throw unsupported('linux.mountLabel', '(SELinux) is not supported');
  for (const key of ['solaris', 'windows', 'vm', 'zos'] as const) if (present(config[key])) throw unsupported(key, 'is not for Linux containers');
  const rootPropagation = rootPropagationOf(linux.rootfsPropagation);

  const rootfs = path.resolve(input.bundle, config.root.path);
  if (!fs.existsSync(rootfs) || !fs.statSync(rootfs).isDirectory()) throw unsupported('root.path', `(${rootfs}) is not a directory`);
  const ns = containerNamespaces(config);
  if (config.hostname && !ns.created.includes('uts') && ns.joined.uts === undefined) throw unsupported('hostname', 'needs a uts namespace in linux.namespaces');
  const sysctls = containerSysctls(config, ns);
  for (const key of ['hostname', 'domainname'] as const) if (Buffer.byteLength(config[key] ?? '') > 64) throw unsupported(key, 'is longer than 64 bytes');
  for (const [i, limit] of (proc.rlimits ?? []).entries()) if (!RLIMITS.has(limit.type)) throw unsupported(`process.rlimits.${i}.type`, `"${limit.type}" is not an rlimit`);

  const caps = capabilitySets(proc, input.notes);
  let seccompFile: string | undefined;
  if (linux.seccomp) {
    const program = compileConditionalSeccomp(ociSeccompProfile(linux.seccomp, input.notes));
    fs.writeFileSync(files.seccomp, encodeProgram(program), { mode: 0o600 });
    seccompFile = files.seccomp;
  }

  const layout = detectCgroupLayout();
  const cgroup = createCgroupAt({ layout, cgroupsPath: linux.cgroupsPath || input.id, resources: resources(config, layout.version) });
  try {
    const hasPts = mounts.some((m) => m.destination === '/dev/pts');
    const steps: PodStep[] = [];
    mounts.forEach((mount, index) => {
      if (mount.type === 'cgroup' || mount.type === 'cgroup2') {
        steps.push(...cgroupViewSteps(mount.destination, cgroup.views, (mount.options ?? []).includes('ro')));
        return;
      }
      steps.push(mountStep(mount, index, input.bundle, ns.userNamespace));
      if (mount.destination === '/dev') steps.push(...devSteps(hasPts), ...deviceSteps(config, hasPts));
    });
    // without a /dev mount the nodes go into the rootfs's own /dev, as runc makes them there
    if (!mounts.some((m) => m.destination === '/dev')) steps.push(...deviceSteps(config, hasPts));
    steps.push(...maskSteps(config, rootfs));
    steps.push({ kind: 'mkdir', path: proc.cwd, mode: 0o755 });
    if (config.root.readonly) steps.push({ kind: 'mount', target: '/', flags: ['bind', 'remount', 'ro'], options: [] });

    const app: AppPlan = {
      name: APP_NAME,
      root: '/',
      ...processFields(proc),
      cgroups: cgroup.dirs,
      ...caps,
      rlimits: appRlimits(proc),
      waitFifo: files.fifo,
      ...terminal,
      ...seccompFields(seccompFile, proc),
      ...(ns.ownCgroupNamespace ? { ownCgroupNamespace: true } : {}),
      ...(config.hooks?.startContainer?.length ? { startHooks: config.hooks.startContainer.map(startHook) } : {}),
    };
    const plan: Stage1Plan = {
      podDir: files.dir,
      pidsDir: files.pidsDir,
      lockFd: input.lockFd,
      errorFile: files.errorFile,
      statusDir: files.statusDir,
      namespaces: ns.created,
      joins: ns.joined,
      ...(ns.userNamespace ? { userNamespace: ns.userNamespace } : {}),
      ...(sysctls.length > 0 ? { sysctls } : {}),
      // the create-time hooks run while the container's process waits before pivot_root
      ...(hasCreateHooks(config) ? { pauseFifo: files.pause } : {}),
      hostname: config.hostname ?? '',
      root: rootfs,
      ...(rootPropagation ? { rootPropagation } : {}),
      steps,
      apps: [app],
    };
    return { plan, rootfs, cgroupsCreated: cgroup.created, cgroupDirs: cgroup.dirs };
  } catch (error) {
    removeCgroups(cgroup.created);
    throw error;
  }
}
