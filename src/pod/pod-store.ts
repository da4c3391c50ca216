/**
 * The pods directory, `<data>/pods/<state dir>/<uuid>/`, and the moves between state directories.
 * Transitions are rename(2)s, atomic on one filesystem; a pod is "locked" while some process holds
 * an exclusive flock(2) on its directory (docs/pod-lifecycle.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { flockFd, unlockFd } from '../sys/libc.js';
import { POD_DIRS, podStateOf, type PodDir, type PodState } from './pod-state.js';
import { matchPodUuid, newPodUuid, isPodUuid } from './pod-uuid.js';

export interface PodRef {
  uuid: string;
  dir: PodDir;
  path: string;
}

/** A pod directory opened and exclusively locked by this process. */
export interface LockedPod extends PodRef {
  lockFd: number;
}

export class PodStore {
  readonly podsDir: string;

  constructor(dataDir: string) {
    this.podsDir = path.join(dataDir, 'pods');
  }

  /** Creates the state directories (0750: pod contents are for root and the rkt group). */
  ensureLayout(): void {
    for (const dir of POD_DIRS) fs.mkdirSync(path.join(this.podsDir, dir), { recursive: true, mode: 0o750 });
  }

  /** A new pod: created as an embryo, locked, then moved to `prepare` (state "preparing"). */
  create(): LockedPod {
    this.ensureLayout();
    const uuid = newPodUuid();
    const embryo = this.pathOf('embryo', uuid);
    fs.mkdirSync(embryo, { mode: 0o750 });
    const lockFd = fs.openSync(embryo, 'r');
    flockFd(lockFd, 'exclusive', true);
    const pod = { uuid, dir: 'embryo' as const, path: embryo, lockFd };
    return { ...this.move(pod, 'prepare'), lockFd };
  }

  pathOf(dir: PodDir, uuid: string): string {
    return path.join(this.podsDir, dir, uuid);
  }

  /** Every pod in every state directory. Entries that are not UUIDs are ignored. */
  list(): PodRef[] {
    const pods: PodRef[] = [];
    for (const dir of POD_DIRS) {
      let names: string[];
      try {
        names = fs.readdirSync(path.join(this.podsDir, dir));
      } catch (error) {
        if (isErrnoException(error, 'ENOENT')) continue;
        if (isErrnoException(error, 'EACCES')) {
          throw new RktError('pod', 'ERR_POD_DIR_UNREADABLE', `cannot read the pods directory ${path.join(this.podsDir, dir)}: permission denied`, {
            hint: 'pods are readable by root only; run this command as root',
          });
        }
        throw error;
      }
      for (const uuid of names) if (isPodUuid(uuid)) pods.push({ uuid, dir, path: this.pathOf(dir, uuid) });
    }
    return pods;
  }

  /** Finds a pod by UUID or unique prefix. */
  find(prefix: string): PodRef {
    const pods = this.list();
    const uuid = matchPodUuid(prefix, pods.map((pod) => pod.uuid));
    return pods.find((pod) => pod.uuid === uuid)!;
  }

  /** Re-reads where a pod is now; another process may have moved it since it was listed. */
  refresh(pod: PodRef): PodRef | undefined {
    for (const dir of POD_DIRS) {
      const candidate = this.pathOf(dir, pod.uuid);
      if (fs.existsSync(candidate)) return { uuid: pod.uuid, dir, path: candidate };
    }
    return undefined;
  }

  state(pod: PodRef): PodState {
    return podStateOf(pod.dir, this.isLocked(pod));
  }

  /** True when another process holds the pod's exclusive lock (probed with a shared try-lock). */
  isLocked(pod: PodRef): boolean {
    let fd: number;
    try {
      fd = fs.openSync(pod.path, 'r');
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) return false;
      throw error;
    }
    try {
      const got = flockFd(fd, 'shared', false);
      if (got) unlockFd(fd);
      return !got;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Takes the pod's exclusive lock without waiting; undefined when someone else holds it. */
  tryLock(pod: PodRef): LockedPod | undefined {
    const fd = fs.openSync(pod.path, 'r');
    if (flockFd(fd, 'exclusive', false)) return { ...pod, lockFd: fd };
    fs.closeSync(fd);
    return undefined;
  }

  /** Waits until the pod's lock is free (the pod has exited), up to `timeoutMs` if given. */
  async waitUnlocked(pod: PodRef, timeoutMs?: number): Promise<boolean> {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const current = this.refresh(pod);
      if (!current || !this.isLocked(current)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Moves a pod to another state directory; the lock (held on the inode) moves with it. */
  move(pod: PodRef, to: PodDir): PodRef {
    const target = this.pathOf(to, pod.uuid);
    try {
      fs.renameSync(pod.path, target);
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) {
        throw new RktError('pod', 'ERR_POD_GONE', `pod ${pod.uuid} is no longer in ${pod.dir}/`, {
          hint: 'another rkt command (gc, rm) moved it at the same time',
          cause: error,
        });
      }
      throw error;
    }
    return { uuid: pod.uuid, dir: to, path: target };
  }
}
