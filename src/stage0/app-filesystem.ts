/**
 * The filesystem every app sees: its image's layers under overlayfs (read-only lowers, a per-pod
 * upper), then /proc, /sys, a minimal /dev and the pod's /etc files. The paths after the overlay
 * are resolved inside the app's own root by the helper, so an image's symlinks cannot move them.
 */
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
}

const DEVICE_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/** Overlay takes lowerdir top-first; `:` and `,` in a path would be misread, so they are refused upstream. */
function overlayData(input: AppFilesystemInput): string {
  const lower = [...input.layerDirs].reverse().join(':');
  return `lowerdir=${lower},upperdir=${input.upperDir},workdir=${input.workDir}`;
}

export function appFilesystemSteps(input: AppFilesystemInput): PodStep[] {
  const steps: PodStep[] = [
    { kind: 'in-root', path: '/' },
    { kind: 'mkdir', path: input.appRoot, mode: 0o755 },
    { kind: 'mount', source: 'overlay', target: input.appRoot, fstype: 'overlay', flags: [], data: overlayData(input), options: [] },
    { kind: 'in-root', path: input.appRoot },
    { kind: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'noexec', 'nodev'], options: ['mkdir', 'nofollow'] },
    { kind: 'mount', source: 'sysfs', target: '/sys', fstype: 'sysfs', flags: ['ro', 'nosuid', 'noexec', 'nodev'], options: ['mkdir', 'nofollow'] },
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
    { kind: 'symlink', target: '/proc/self/fd', linkPath: '/dev/fd' },
    { kind: 'symlink', target: '/proc/self/fd/0', linkPath: '/dev/stdin' },
    { kind: 'symlink', target: '/proc/self/fd/1', linkPath: '/dev/stdout' },
    { kind: 'symlink', target: '/proc/self/fd/2', linkPath: '/dev/stderr' },
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
