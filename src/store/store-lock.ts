/**
 * The store-wide lock, `cas/locks/store.lock`: every process that adds to the store or starts using
 * what is in it (fetch, run until its pod manifest names its images) holds it shared; `image gc` and
 * `image rm` hold it exclusive while they delete, so they never delete what someone is about to use.
 */
import { join } from 'node:path';
import { withExclusiveFileLock, withSharedFileLock } from './file-lock.js';
import { prepareStoreDirs } from './store-dirs.js';

async function lockPath(dataDir: string): Promise<string> {
  return join((await prepareStoreDirs(dataDir)).locks, 'store.lock');
}

export async function withStoreInUse<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  return withSharedFileLock(await lockPath(dataDir), work);
}

export async function withStoreExclusive<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  return withExclusiveFileLock(await lockPath(dataDir), work);
}
