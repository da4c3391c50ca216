/**
 * A pod's network namespace is a named one, as `ip netns` makes them (and as rkt did): a
 * namespace kept alive by a bind mount at /var/run/netns/rkt-<uuid>, so that CNI can run in it
 * before the pod exists and again (DEL) after the pod is gone. Node cannot unshare (it is
 * multi-threaded), so iproute2 does it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { RktError } from '../errors/rkt-error.js';

export const NETNS_DIR = '/var/run/netns';

export function podNetnsName(uuid: string): string {
  return `rkt-${uuid}`;
}

export function podNetnsPath(uuid: string): string {
  return `${NETNS_DIR}/${podNetnsName(uuid)}`;
}

function ip(args: string[]): { ok: boolean; message: string } {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.error) return { ok: false, message: result.error.message };
  return { ok: result.status === 0, message: result.stderr.trim() };
}

export function createNetns(uuid: string): string {
  const result = ip(['netns', 'add', podNetnsName(uuid)]);
  if (!result.ok) {
    throw new RktError('system', 'ERR_NETNS_CREATE', `cannot create network namespace ${podNetnsPath(uuid)}: ${result.message}`, {
      hint: 'rkt needs iproute2 (`ip`) and root',
    });
  }
  return podNetnsPath(uuid);
}

/** Unmounts and removes it; a namespace already gone is fine. */
export function removeNetns(netnsPath: string): void {
  if (!fs.existsSync(netnsPath)) return;
  const name = netnsPath.slice(NETNS_DIR.length + 1);
  const result = netnsPath.startsWith(`${NETNS_DIR}/`) ? ip(['netns', 'delete', name]) : { ok: false, message: 'not under ' + NETNS_DIR };
  if (!result.ok && fs.existsSync(netnsPath)) {
    throw new RktError('system', 'ERR_NETNS_REMOVE', `cannot remove network namespace ${netnsPath}: ${result.message}`);
  }
}
