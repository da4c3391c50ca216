/**
 * Deletes a pod directory for good, after tearing down its network. Pods mount only inside their own mount namespace, so normally
 * nothing is mounted here; anything that is (a helper killed half-way, an older rkt) is detached
 * first, deepest first, so that the recursive delete never descends into a mounted filesystem.
 */
import fs from 'node:fs';
import path from 'node:path';
import { removeCgroups } from '../isolation/cgroups.js';
import { releaseUserRange } from '../isolation/private-users.js';
import { podPaths } from '../pod/pod-paths.js';
import { teardownPodNetwork } from '../net/pod-network.js';
import type { PodRef } from '../pod/pod-store.js';
import { umountDetach } from '../sys/libc.js';
import { readMounts } from '../sys/mountinfo.js';

export function unmountUnder(dir: string): void {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  const mounted = readMounts()
    .map((entry) => entry.mountPoint)
    .filter((point) => point === dir || point.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const point of mounted) umountDetach(point);
}

/** The pod's cgroups, as recorded by `rkt run`; its processes are gone by now. */
export function removePodCgroups(podDir: string): void {
  let dirs: unknown;
  try {
    dirs = JSON.parse(fs.readFileSync(podPaths(podDir).cgroups, 'utf8'));
  } catch {
    return; // no record: the pod never got cgroups
  }
  // only what rkt itself would have created: absolute paths on a cgroup filesystem
  if (!Array.isArray(dirs)) return;
  removeCgroups(dirs.filter((dir): dir is string => typeof dir === 'string' && dir.startsWith('/sys/fs/cgroup/') && !dir.includes('/../')));
}

/** The pod's --private-users range goes back to the pool (pods live in <data-dir>/pods/<state>/<uuid>). */
function releasePodUserRange(pod: PodRef): void {
  let record: { privateUsers?: { shift?: unknown } };
  try {
    record = JSON.parse(fs.readFileSync(podPaths(pod.path).launch, 'utf8')) as typeof record;
  } catch {
    return; // never launched
  }
  const shift = record.privateUsers?.shift;
  if (typeof shift === 'number' && Number.isInteger(shift)) releaseUserRange(path.resolve(pod.path, '../../..'), pod.uuid, shift);
}

/**
 * The pod's network goes first (CNI DEL, port forwarding, its namespace): its record is in the
 * directory. If that fails the directory is kept, so that a later rm or gc can try again.
 */
export function removePodDirectory(pod: PodRef): void {
  teardownPodNetwork(pod.path);
  unmountUnder(pod.path);
  removePodCgroups(pod.path);
  releasePodUserRange(pod);
  fs.rmSync(pod.path, { recursive: true, force: true });
}
