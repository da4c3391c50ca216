/** Where things live inside a pod directory (docs/on-disk-format.md). One place, so no path drifts. */
import path from 'node:path';

export interface PodPaths {
  /** The appc pod manifest. */
  manifest: string;
  /** Its mtime is the pod's creation time. */
  created: string;
  /** Written by stage1: host PID of the pod's PID 1; its mtime is the start time. */
  pid: string;
  /** Per-app exit statuses, written by stage1's PID 1. */
  statusDir: string;
  /** Per-app PIDs as the pod sees them, written by stage1's PID 1 once each app has exec'd. */
  pidsDir: string;
  /** How the pod was launched (insecure options, cgroups), for `rkt enter`. */
  launch: string;
  /** Per-app records stage0 keeps for list/status: image id and name. */
  appsInfoDir: string;
  plan: string;
  /** The directory that becomes the pod's root by pivot_root (holds /opt/stage2/<app>/rootfs). */
  stage1Root: string;
  /** Structured error left by stage1 when it failed. */
  stage1Error: string;
  /** Files bound into every app: hostname, hosts, resolv.conf. */
  etcDir: string;
  /** The cgroup directories rkt created for the pod (JSON array, deepest first), removed with it. */
  cgroups: string;
  /** The compiled seccomp program of an app. */
  seccompProgram: (app: string) => string;
  /** The v2 device allow-list (eBPF, BPF_PROG_TYPE_CGROUP_DEVICE) every app's cgroup gets. */
  devicesProgram: string;
  overlayUpper: (app: string) => string;
  overlayWork: (app: string) => string;
  /** What `prepare` resolved, for `run-prepared` to build the plan from (stage0's own JSON). */
  spec: string;
  /** `kind=empty` volumes, shared by the apps that mount them. */
  sharedVolume: (name: string) => string;
  /** Per-app logs: `stdout`, `stderr` and their rotated `.1` files. */
  logDir: (app: string) => string;
}

export function podPaths(podDir: string): PodPaths {
  return {
    manifest: path.join(podDir, 'pod'),
    created: path.join(podDir, 'pod-created'),
    pid: path.join(podDir, 'pid'),
    statusDir: path.join(podDir, 'status'),
    pidsDir: path.join(podDir, 'pids'),
    launch: path.join(podDir, 'stage1', 'launch.json'),
    appsInfoDir: path.join(podDir, 'appsinfo'),
    plan: path.join(podDir, 'stage1', 'plan'),
    stage1Root: path.join(podDir, 'stage1', 'rootfs'),
    stage1Error: path.join(podDir, 'stage1', 'error.json'),
    etcDir: path.join(podDir, 'etc'),
    cgroups: path.join(podDir, 'cgroups'),
    seccompProgram: (app) => path.join(podDir, 'stage1', `seccomp-${app}.bpf`),
    devicesProgram: path.join(podDir, 'stage1', 'devices.bpf'),
    overlayUpper: (app) => path.join(podDir, 'overlay', app, 'upper'),
    overlayWork: (app) => path.join(podDir, 'overlay', app, 'work'),
    spec: path.join(podDir, 'stage1', 'spec.json'),
    sharedVolume: (name) => path.join(podDir, 'sharedVolumes', name),
    logDir: (app) => path.join(podDir, 'logs', app),
  };
}

/** Where an app's root filesystem is mounted inside the pod root. */
export function appRootInPod(app: string): string {
  return `/opt/stage2/${app}/rootfs`;
}
