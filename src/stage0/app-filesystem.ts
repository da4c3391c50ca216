/**
 * The filesystem every app sees: its image's layers under overlayfs (read-only lowers, a per-pod
 * upper), then /proc, /sys (its cgroups read-only at /sys/fs/cgroup), the masked and read-only
 * paths, a minimal /dev and the pod's /etc files. The paths after the overlay
 * are resolved inside the app's own root by the helper, so an image's symlinks cannot move them.
 */
import type { MaskedPath } from '../isolation/masked-paths.js';
import type { PodStep } from '../stage1/stage1-plan.js';

export interface AppFilesystemInput {
  /** Inside the pod root, e.g. /opt/stage2/<app>/rootfs. */
  appRoot: string;
  /** Extracted layers, bottom first. */
  layerDirs: string[];
  upperDir: string;
  workDir: string;
  /** Host files bound read-only onto the app's /etc/<name>. */
  etcFiles: { name: 'hostname' | 'hosts' | 'resolv.conf'; source: string }[];
  workingDirectory: string;
  /**
   * Masked paths to hide and the read-only paths to protect; absent with
   * `--insecure-options=paths`.
   */
  protectedPaths?: { masked: MaskedPath[]; readOnly: readonly string[] };
  /** The app's cgroups shown read-only at /sys/fs/cgroup: v1 one directory per controller, v2 `''`. */
  cgroupViews?: { name: string; dir: string }[];
}

const DEVICE_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/** Overlay takes lowerdir top-first; `:` and `,` in a path would be misread, so they are refused upstream. */
function overlayData(input: AppFilesystemInput): string {
  const lower = [...input.layerDirs].reverse().join(':');
  return `lowerdir=${lower},upperdir=${input.upperDir},workdir=${input.workDir}`;
}

const CGROUP_FS = '/sys/fs/cgroup';

function cgroupSteps(views: { name: string; dir: string }[]): PodStep[] {
  const flags = ['ro', 'nosuid', 'nodev', 'noexec'] as const;
  if (views.length === 1 && views[0]!.name === '') {
    return [{ kind: 'mount', source: views[0]!.dir, target: CGROUP_FS, flags: ['bind', ...flags], options: ['nofollow'] }];
  }
  return [
    { kind: 'mount', source: 'tmpfs', target: CGROUP_FS, fstype: 'tmpfs', flags: ['nosuid', 'nodev', 'noexec'], data: 'mode=755,size=64k', options: ['nofollow'] },
    ...views.map((view): PodStep => ({
      kind: 'mount', source: view.dir, target: `${CGROUP_FS}/${view.name}`, flags: ['bind', ...flags], options: ['mkdir', 'nofollow'],
    })),
    { kind: 'mount', target: CGROUP_FS, flags: ['bind', 'remount', ...flags], options: ['nofollow'] },
  ];
}

function protectedPathSteps(paths: NonNullable<AppFilesystemInput['protectedPaths']>): PodStep[] {
  return [
    ...paths.masked.map((masked): PodStep =>
      masked.kind === 'dir'
        ? { kind: 'mount', source: 'tmpfs', target: masked.path, fstype: 'tmpfs', flags: ['ro', 'nosuid', 'nodev', 'noexec'], data: 'size=0', options: ['optional', 'nofollow'] }
        : { kind: 'mount', source: '/dev/null', target: masked.path, flags: ['bind'], options: ['optional', 'nofollow'] },
    ),
    ...paths.readOnly.map((target): PodStep => ({
      kind: 'mount', target, flags: ['bind', 'rec', 'ro', 'nosuid', 'nodev', 'noexec'], options: ['self', 'optional', 'nofollow'],
    })),
  ];
}

export function appFilesystemSteps(input: AppFilesystemInput): PodStep[] {
  const steps: PodStep[] = [
    { kind: 'in-root', path: '/' },
    { kind: 'mkdir', path: input.appRoot, mode: 0o755 },
    { kind: 'mount', source: 'overlay', target: input.appRoot, fstype: 'overlay', flags: [], data: overlayData(input), options: [] },
    { kind: 'in-root', path: input.appRoot },
    { kind: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'noexec', 'nodev'], options: ['mkdir', 'nofollow'] },
    { kind: 'mount', source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: ['ro', 'nosuid', 'noexec', 'nodev'], options: ['mkdir', 'nofollow'] },
    ...(input.cgroupViews ? cgroupSteps(input.cgroupViews) : []),
    ...(input.protectedPaths ? protectedPathSteps(input.protectedPaths) : []),
    { kind: 'mount', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: ['nosuid', 'strictatime'], data: 'mode=755,size=65536k', options: ['mkdir', 'nofollow'] },
    ...DEVICE_NODES.map((name): PodStep => ({
      kind: 'mount', source: `/dev/${name}`, target: `/dev/${name}`, flags: ['bind'], options: ['mkfile', 'nofollow'],
    })),
    {
      kind: 'mount', source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: ['nosuid', 'noexec'],
      data: 'newinstance,ptmxmode=0666,mode=0620,gid=5', options: ['mkdir', 'nofollow'],
    },
    { kind: 'symlink', target: 'pts/ptmx', linkPath: '/dev/ptmx' },
    { kind: 'mount', source: 'shm', target: '/dev/shm', fstype: 'tmpfs', flags: ['nosuid', 'noexec', 'nodev'], data: 'mode=1777,size=65536k', options: ['mkdir', 'nofollow'] },
    { kind: 'mount', source: 'mqueue', target: '/dev/mqueue', fstype: 'mqueue', flags: ['nosuid', 'noexec', 'nodev'], options: ['mkdir', 'nofollow'] },
    { kind: 'symlink', target: '/proc/self/fd', linkPath: '/dev/fd' },
    { kind: 'symlink', target: '/proc/self/fd/0', linkPath: '/dev/stdin' },
    { kind: 'symlink', target: '/proc/self/fd/1', linkPath: '/dev/stdout' },
    { kind: 'symlink', target: '/proc/self/fd/2', linkPath: '/dev/stderr' },
    { kind: 'symlink', target: '/proc/kcore', linkPath: '/dev/core' },
    ...input.etcFiles.map((file): PodStep => ({
      kind: 'mount', source: file.source, target: `/etc/${file.name}`, flags: ['bind', 'ro'], options: ['mkfile'],
    })),
    // rkt's prepare-app gave every app a /tmp; programs assume one.
    { kind: 'mkdir', path: '/tmp', mode: 0o1777 },
    // Docker and rkt create a missing working directory rather than fail.
    { kind: 'mkdir', path: input.workingDirectory, mode: 0o755 },
  ];
  return steps;
}
