/**
 * flock(2) on a lock file, held while `work` runs. The lock is taken without blocking and retried on
 * a timer: a blocking flock would freeze Node's event loop, and two holders in the same process (two
 * fds) would then deadlock. Lock files are opened read-only once they exist, so that members of the
 * `rkt` group can lock files another user created (flock needs no write access).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrnoException } from '../errors/rkt-error.js';
import { flockFd, unlockFd } from '../sys/libc.js';

async function openLockFile(lockPath: string): Promise<FileHandle> {
  try {
    return await open(lockPath, 'r');
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
    return open(lockPath, 'a', 0o644);
  }
}

async function withFileLock<T>(lockPath: string, kind: 'shared' | 'exclusive', work: () => Promise<T>): Promise<T> {
  const handle = await openLockFile(lockPath);
  try {
    for (let delay = 10; !flockFd(handle.fd, kind, false); delay = Math.min(delay * 2, 250)) {
      await sleep(delay);
    }
    try {
      return await work();
    } finally {
      unlockFd(handle.fd);
    }
  } finally {
    await handle.close();
  }
}

export function withExclusiveFileLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  return withFileLock(lockPath, 'exclusive', work);
}

export function withSharedFileLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  return withFileLock(lockPath, 'shared', work);
}
