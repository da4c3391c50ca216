/**
 * `--private-users`: the pod's apps run in a user namespace whose ids 0–65535 are a range of host
 * ids, `shift` to `shift + 65535`. As in rkt, the shift is random, `rand(1..0x7FFF) << 16`; unlike
 * rkt, two pods never get the same range: each range in use is a file `<data-dir>/private-users/<shift>`
 * holding the pod's UUID, created with O_EXCL (so the claim is atomic without a lock), and removed
 * with the pod (`rkt rm`, `rkt gc`); `rkt gc` also sweeps ranges whose pod directory is gone.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import type { UserNamespaceMaps } from '../stage1/stage1-plan.js';

export const PRIVATE_USERS_COUNT = 65536;

export interface UserRange {
  /** Host id of the pod's id 0. */
  shift: number;
  count: number;
}

const ATTEMPTS = 128;

function rangesDir(dataDir: string): string {
  return path.join(dataDir, 'private-users');
}

/** The range as the user namespace's maps: ids 0–count-1 are shift… on the host, for users and groups alike. */
export function userRangeMaps(range: UserRange): UserNamespaceMaps {
  const line = { inside: 0, outside: range.shift, count: range.count };
  return { uidMap: [line], gidMap: [line] };
}

/** Claims a free range for the pod; `random` gives the block number, 1–0x7FFF. */
export function allocateUserRange(dataDir: string, uuid: string, random: () => number = () => crypto.randomInt(1, 0x8000)): UserRange {
  const dir = rangesDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const shift = random() * PRIVATE_USERS_COUNT;
    try {
      fs.writeFileSync(path.join(dir, String(shift)), `${uuid}\n`, { flag: 'wx', mode: 0o600 });
      return { shift, count: PRIVATE_USERS_COUNT };
    } catch (error) {
      if (!isErrnoException(error, 'EEXIST')) throw error;
    }
  }
  throw new RktError('pod', 'ERR_PRIVATE_USERS_EXHAUSTED', `no free uid/gid range for --private-users after ${ATTEMPTS} random tries (in ${dir})`, {
    hint: 'remove pods that are no longer needed (`rkt gc`), or run this pod without --private-users',
  });
}

/** Gives the pod's range back, if it is still the pod's. */
export function releaseUserRange(dataDir: string, uuid: string, shift: number): void {
  const file = path.join(rangesDir(dataDir), String(shift));
  try {
    if (fs.readFileSync(file, 'utf8').trim() === uuid) fs.unlinkSync(file);
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
  }
}

/**
 * `rkt gc`: gives back the ranges of pods that no longer exist (their directory was deleted
 * without `rkt rm`). The range files are read before `livePods()` lists every pod directory,
 * whatever its state, so a pod that claims a range meanwhile is never swept: it is not read yet.
 */
export function sweepUserRanges(dataDir: string, livePods: () => ReadonlySet<string>): void {
  const dir = rangesDir(dataDir);
  const claims: [number, string][] = [];
  try {
    for (const name of fs.readdirSync(dir)) {
      if (/^[1-9][0-9]*$/.test(name)) claims.push([Number(name), fs.readFileSync(path.join(dir, name), 'utf8').trim()]);
    }
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return;
    throw error;
  }
  const live = livePods();
  for (const [shift, owner] of claims) if (!live.has(owner)) releaseUserRange(dataDir, owner, shift);
}

/** Every file and directory under (and including) `dir` moves by `shift`: uid N becomes shift + N. */
export function shiftOwnership(dir: string, shift: number): void {
  const stat = fs.lstatSync(dir);
  fs.lchownSync(dir, stat.uid + shift, stat.gid + shift);
  // chown clears set-user-ID and set-group-ID on files: put them back
  if (stat.isFile() && (stat.mode & 0o6000) !== 0) fs.chmodSync(dir, stat.mode & 0o7777);
  if (stat.isDirectory()) for (const name of fs.readdirSync(dir)) shiftOwnership(path.join(dir, name), shift);
}
