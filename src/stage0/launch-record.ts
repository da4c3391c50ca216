/**
 * `stage1/launch.json`: what a pod was launched with that is not in its spec, written by `run` and
 * `run-prepared` next to the plan: the `--insecure-options` in force and each app's cgroup
 * directories (on cgroup v1 they depend on the launching process's own cgroup, so they cannot be
 * worked out again later). `rkt enter` rebuilds an app's isolation from the spec and this record
 * with the same function (`appIsolation`) the launch used.
 */
import fs from 'node:fs';
import { RktError, isErrnoException } from '../errors/rkt-error.js';

export interface LaunchRecord {
  version: 1;
  insecure: string[];
  /** App name → the cgroup directories it joins. */
  cgroups: Record<string, string[]>;
  /** `--private-users`: the pod's host uid/gid range. */
  privateUsers?: { shift: number; count: number };
}

export function writeLaunchRecord(file: string, record: LaunchRecord): void {
  fs.writeFileSync(file, JSON.stringify(record) + '\n', { mode: 0o600 });
}

function isLaunchRecord(value: unknown): value is LaunchRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<LaunchRecord>;
  return (
    record.version === 1 &&
    Array.isArray(record.insecure) && record.insecure.every((entry) => typeof entry === 'string') &&
    typeof record.cgroups === 'object' && record.cgroups !== null &&
    Object.values(record.cgroups).every((dirs) => Array.isArray(dirs) && dirs.every((dir) => typeof dir === 'string' && dir.startsWith('/'))) &&
    (record.privateUsers === undefined || (Number.isInteger(record.privateUsers.shift) && Number.isInteger(record.privateUsers.count)))
  );
}

export function readLaunchRecord(file: string, uuid: string): LaunchRecord {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) {
      throw new RktError('pod', 'ERR_ENTER_UNSUPPORTED', `pod ${uuid} has no launch record (${file})`, {
        hint: 'it was started by an older rkt, which did not record what enter needs; restart the pod',
      });
    }
    throw new RktError('pod', 'ERR_ENTER_UNSUPPORTED', `cannot read pod ${uuid}'s launch record ${file}: ${(error as Error).message}`);
  }
  if (!isLaunchRecord(value)) throw new RktError('pod', 'ERR_ENTER_UNSUPPORTED', `pod ${uuid}'s launch record ${file} is not valid`);
  return value;
}
