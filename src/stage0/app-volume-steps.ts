/**
 * The plan steps that mount an app's volumes and make its root read-only. They follow the app's
 * filesystem steps (app-filesystem.ts), whose last `in-root` is the app's root, so every target is
 * resolved inside the app's own root by the helper (openat2 RESOLVE_IN_ROOT): a symlink in the
 * image at a volume's path cannot send the mount outside the app.
 */
import type { MountFlag, PodStep } from '../stage1/stage1-plan.js';

export interface AppVolumeMount {
  /** Host path of the volume (a host source, or the pod's sharedVolumes/<name>). */
  source: string;
  /** Inside the app's root. */
  target: string;
  readOnly: boolean;
  recursive: boolean;
  directory: boolean;
}

export function appVolumeSteps(appRoot: string, mounts: readonly AppVolumeMount[], readonlyRootfs: boolean): PodStep[] {
  const steps: PodStep[] = [{ kind: 'in-root', path: appRoot }];
  for (const mount of mounts) {
    const flags: MountFlag[] = ['bind', ...(mount.recursive ? (['rec'] as const) : []), ...(mount.readOnly ? (['ro'] as const) : [])];
    steps.push({ kind: 'mount', source: mount.source, target: mount.target, flags, options: [mount.directory ? 'mkdir' : 'mkfile'] });
  }
  if (readonlyRootfs) {
    // Last: the steps above still create directories in the root. Only the root's own mount
    // becomes read-only; /proc, /dev, /tmp's parent mounts and volumes keep their flags.
    steps.push({ kind: 'in-root', path: '/' }, { kind: 'mount', target: appRoot, flags: ['bind', 'remount', 'ro'], options: [] });
  }
  return steps;
}
