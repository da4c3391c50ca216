/**
 * `rkt gc` (rkt's three phases): mark exited pods and aborted prepares as garbage, expire old
 * prepared pods, then delete garbage whose grace period has passed. Every step tolerates a pod
 * moved or deleted meanwhile by a concurrent rkt.
 */
import fs from 'node:fs';
import { isErrnoException, isRktError } from '../errors/rkt-error.js';
import { PodStore, type PodRef } from '../pod/pod-store.js';
import { sweepUserRanges } from '../isolation/private-users.js';
import { deleteGarbagePod } from './remove-pods.js';

export interface GcRequest {
  dataDir: string;
  gracePeriodMs: number;
  expirePreparedMs: number;
  markOnly: boolean;
  now?: Date;
}

export type GcEvent =
  | { kind: 'marked'; uuid: string; from: string }
  | { kind: 'expired'; uuid: string }
  | { kind: 'deleted'; uuid: string }
  | { kind: 'failed'; uuid: string; message: string };

/** Embryos are only ever transient; one this old was left by a crashed rkt. */
const STALE_EMBRYO_MS = 10 * 60 * 1000;

function ageMs(pod: PodRef, now: Date, which: 'ctime' | 'mtime'): number | undefined {
  try {
    const stat = fs.statSync(pod.path);
    // A pod marked by this very run has a ctime after `now`; it is zero seconds old, not negative,
    // so `--grace-period=0s` marks and deletes in one run, as rkt did.
    return Math.max(0, now.getTime() - (which === 'ctime' ? stat.ctime : stat.mtime).getTime());
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function tolerantly(events: GcEvent[], pod: PodRef, action: () => GcEvent | undefined): void {
  try {
    const event = action();
    if (event) events.push(event);
  } catch (error) {
    // Another rkt moved or is deleting this pod: it is theirs now.
    if (isRktError(error) && (error.code === 'ERR_POD_GONE' || error.code === 'ERR_POD_BUSY')) return;
    events.push({ kind: 'failed', uuid: pod.uuid, message: error instanceof Error ? error.message : String(error) });
  }
}

export function gcPods(request: GcRequest): GcEvent[] {
  const store = new PodStore(request.dataDir);
  const now = request.now ?? new Date();
  const events: GcEvent[] = [];
  for (const pod of store.list()) {
    tolerantly(events, pod, () => {
      if (pod.dir === 'run' && !store.isLocked(pod)) {
        store.move(pod, 'exited-garbage');
        return { kind: 'marked', uuid: pod.uuid, from: 'exited' };
      }
      if (pod.dir === 'prepare' && !store.isLocked(pod)) {
        store.move(pod, 'garbage');
        return { kind: 'marked', uuid: pod.uuid, from: 'aborted prepare' };
      }
      return undefined;
    });
  }
  if (request.markOnly) return events;

  for (const pod of store.list()) {
    tolerantly(events, pod, () => {
      if (pod.dir === 'prepared' && (ageMs(pod, now, 'mtime') ?? 0) > request.expirePreparedMs) {
        store.move(pod, 'garbage');
        return { kind: 'expired', uuid: pod.uuid };
      }
      return undefined;
    });
  }
  for (const pod of store.list()) {
    tolerantly(events, pod, () => {
      const due =
        pod.dir === 'garbage' ||
        (pod.dir === 'exited-garbage' && (ageMs(pod, now, 'ctime') ?? 0) >= request.gracePeriodMs) ||
        (pod.dir === 'embryo' && !store.isLocked(pod) && (ageMs(pod, now, 'mtime') ?? 0) > STALE_EMBRYO_MS);
      if (!due) return undefined;
      deleteGarbagePod(store, pod);
      return { kind: 'deleted', uuid: pod.uuid };
    });
  }
  // --private-users ranges of pods deleted some other way (a removed data directory copy, a crash)
  sweepUserRanges(request.dataDir, () => new Set(store.list().map((pod) => pod.uuid)));
  return events;
}
