/**
 * `rkt stop`: SIGTERM to the pod's PID 1 (its host PID is in the pod's `pid` file), which forwards
 * it to the apps; if the pod still runs when the timeout ends, or with --force at once, SIGKILL to
 * PID 1, and the kernel ends everything left in the pod's PID namespace. The pod's lock tells when
 * it is gone. A pod that is not running is reported as such, not as an error (rkt's behaviour).
 */
import fs from 'node:fs';
import { RktError } from '../errors/rkt-error.js';
import { podPaths } from '../pod/pod-paths.js';
import { PodStore, type PodRef } from '../pod/pod-store.js';

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface StopRequest {
  dataDir: string;
  uuid: string;
  force: boolean;
  /** How long SIGTERM has before SIGKILL. */
  timeoutMs: number;
}

export type StopResult = { uuid: string; outcome: 'stopped' | 'killed' | 'not-running' };

function readPid(pod: PodRef): number {
  const text = fs.readFileSync(podPaths(pod.path).pid, 'utf8');
  if (!/^[1-9][0-9]*\n$/.test(text)) throw new RktError('pod', 'ERR_POD_PID_INVALID', `pod ${pod.uuid}: its pid file does not hold a PID`);
  return Number(text.trim());
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Waits for the pid file to appear: a pod that just started may not have written it yet. */
async function waitForPid(store: PodStore, pod: PodRef): Promise<number | undefined> {
  for (let tries = 0; tries < 200; tries++) {
    if (!store.isLocked(pod)) return undefined;
    if (fs.existsSync(podPaths(pod.path).pid)) return readPid(pod);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new RktError('pod', 'ERR_POD_PID_INVALID', `pod ${pod.uuid} is running but has no pid file`);
}

export async function stopPod(request: StopRequest): Promise<StopResult> {
  const store = new PodStore(request.dataDir);
  const pod = store.find(request.uuid);
  if (pod.dir !== 'run' || !store.isLocked(pod)) return { uuid: pod.uuid, outcome: 'not-running' };
  const pid = await waitForPid(store, pod);
  if (pid === undefined) return { uuid: pod.uuid, outcome: 'not-running' };
  // The PID is only trusted while the pod's lock is held: once it is free, the PID may be reused.
  if (!request.force) {
    kill(pid, 'SIGTERM');
    if (await store.waitUnlocked(pod, request.timeoutMs)) return { uuid: pod.uuid, outcome: 'stopped' };
  }
  if (!store.isLocked(pod)) return { uuid: pod.uuid, outcome: 'stopped' };
  kill(pid, 'SIGKILL');
  if (!(await store.waitUnlocked(pod, 10_000))) {
    throw new RktError('pod', 'ERR_POD_STOP_FAILED', `pod ${pod.uuid} still runs after SIGKILL to its PID 1 (${pid})`);
  }
  return { uuid: pod.uuid, outcome: 'killed' };
}
