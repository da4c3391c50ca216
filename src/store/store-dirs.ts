/**
 * The directories of the store under `<dataDir>/cas`, created on first use. When the data directory
 * was prepared for the `rkt` group (scripts/setup-data-dir.sh makes `cas/` setgid and group-writable),
 * what rkt creates in it is made group-writable too, so that any member of the group can fetch.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface StoreDirs {
  cas: string;
  blobs: string;
  ingest: string;
  db: string;
  locks: string;
  layers: string;
  tmp: string;
  /** The data directory is shared with the `rkt` group (cas/ is setgid). */
  groupShared: boolean;
}

export function storeDirs(dataDir: string): Omit<StoreDirs, 'groupShared'> {
  const cas = join(dataDir, 'cas');
  return {
    cas,
    blobs: join(cas, 'blobs'),
    ingest: join(cas, 'ingest'),
    db: join(cas, 'db'),
    locks: join(cas, 'locks'),
    layers: join(cas, 'layers'),
    tmp: join(cas, 'tmp'),
  };
}

async function isGroupShared(cas: string): Promise<boolean> {
  const info = await stat(cas).catch(() => undefined);
  return info !== undefined && (info.mode & 0o2000) !== 0;
}

/** Creates a store directory (and its parents); group-writable and setgid in a shared store. */
export async function makeStoreDir(path: string, groupShared: boolean, mode = 0o755): Promise<void> {
  const created = await mkdir(path, { recursive: true, mode });
  if (created !== undefined && groupShared) await chmod(path, 0o2770);
}

/** Makes sure cas/ and the directories every writer needs exist. */
export async function prepareStoreDirs(dataDir: string): Promise<StoreDirs> {
  const dirs = storeDirs(dataDir);
  await mkdir(dirs.cas, { recursive: true, mode: 0o700 });
  const groupShared = await isGroupShared(dirs.cas);
  for (const dir of [dirs.blobs, dirs.ingest, dirs.db, dirs.locks, dirs.tmp]) await makeStoreDir(dir, groupShared);
  return { ...dirs, groupShared };
}

/** Mode for files other members of the group must be able to write (the index, partial downloads). */
export function sharedFileMode(groupShared: boolean): number {
  return groupShared ? 0o660 : 0o644;
}
