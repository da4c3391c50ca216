/**
 * `rkt rm`: deletes pods at once, as gc would after its grace period. A pod still running, being
 * prepared or being deleted by someone else is refused, never touched.
 */
import { RktError } from '../errors/rkt-error.js';
import type { PodDir } from '../pod/pod-state.js';
import { PodStore, type PodRef } from '../pod/pod-store.js';
import { removePodDirectory } from './remove-pod.js';

/** Where each state goes before deletion: rkt deletes only from its two garbage directories. */
const GARBAGE_DIR: Partial<Record<string, PodDir>> = {
  exited: 'exited-garbage',
  'exited garbage': 'exited-garbage',
  prepared: 'garbage',
  'aborted prepare': 'garbage',
  garbage: 'garbage',
};

/** Deletes a pod that is in a garbage directory, under its exclusive lock. */
export function deleteGarbagePod(store: PodStore, pod: PodRef): void {
  const locked = store.tryLock(pod);
  if (!locked) {
    throw new RktError('pod', 'ERR_POD_BUSY', `pod ${pod.uuid} is being deleted by another rkt process`);
  }
  removePodDirectory(locked);
}

export function removePod(dataDir: string, uuid: string): string {
  const store = new PodStore(dataDir);
  const pod = store.find(uuid);
  const state = store.state(pod);
  const garbageDir = GARBAGE_DIR[state];
  if (!garbageDir) {
    throw new RktError('pod', 'ERR_POD_NOT_REMOVABLE', `pod ${pod.uuid} is ${state} and cannot be removed`, {
      hint: state === 'running' ? 'wait for it to exit (`rkt status --wait UUID`), or send its `rkt run` process SIGTERM' : 'try again once it has finished',
    });
  }
  const moved = pod.dir === garbageDir ? pod : store.move(pod, garbageDir);
  deleteGarbagePod(store, moved);
  return pod.uuid;
}
