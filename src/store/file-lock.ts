/**
 * Exclusive flock(2) on a lock file, held while `work` runs. The lock is taken without blocking and
 * retried on a timer: a blocking flock would freeze Node's event loop, and two holders in the same
 * process (two fds) would then deadlock.
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { flockFd, unlockFd } from '../sys/libc.js';

export async function withExclusiveFileLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  const handle = await open(lockPath, 'a', 0o600);
  try {
    for (let delay = 10; !flockFd(handle.fd, 'exclusive', false); delay = Math.min(delay * 2, 250)) {
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
