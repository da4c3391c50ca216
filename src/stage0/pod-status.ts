/** `rkt status` and `rkt list`: what is known about pods, with stage1's error when it failed. */
import { RktError } from '../errors/rkt-error.js';
import { readPodInfo, readPodManifest, type PodInfo } from '../pod/pod-info.js';
import type { PodManifest } from '../pod/pod-manifest.js';
import { podPaths } from '../pod/pod-paths.js';
import { PodStore, type PodRef } from '../pod/pod-store.js';
import { readNetInfo } from '../net/net-info.js';
import { readStage1Failure, type Stage1Failure } from '../stage1/helper-error.js';

export interface PodNetworkStatus {
  name: string;
  ifName: string;
  /** Its IPv4 address, once CNI gave one. */
  ip?: string;
}

export interface PodStatus extends PodInfo {
  /** The pod's CNI networks, in interface order (none for --net=host and --net=none). */
  networks: PodNetworkStatus[];
  /** Set when stage1 failed before or while starting the apps. */
  failure?: Stage1Failure;
}

function statusOf(store: PodStore, pod: PodRef): PodStatus {
  const netInfo = readNetInfo(pod.path);
  const networks = (netInfo?.networks ?? []).map((net) => ({ name: net.name, ifName: net.ifName, ...(net.ip ? { ip: net.ip } : {}) }));
  const info: PodStatus = { ...readPodInfo(store, pod), networks };
  const failure = readStage1Failure(podPaths(pod.path).stage1Error);
  if (failure) info.failure = failure;
  return info;
}

export interface StatusRequest {
  dataDir: string;
  uuid: string;
  /** Wait for the pod to exit first; a number bounds the wait in milliseconds. */
  wait?: true | number;
}

export async function podStatus(request: StatusRequest): Promise<PodStatus> {
  const store = new PodStore(request.dataDir);
  let pod = store.find(request.uuid);
  if (request.wait !== undefined) {
    const done = await store.waitUnlocked(pod, request.wait === true ? undefined : request.wait);
    if (!done) {
      throw new RktError('pod', 'ERR_POD_WAIT_TIMEOUT', `pod ${pod.uuid} was still ${store.state(pod)} when the wait ended`);
    }
    pod = store.refresh(pod) ?? pod;
  }
  return statusOf(store, pod);
}

/** All pods, oldest first. Pods that vanish while being read (a concurrent gc) are skipped. */
export function listPods(dataDir: string): PodStatus[] {
  const store = new PodStore(dataDir);
  const pods: PodStatus[] = [];
  for (const pod of store.list()) {
    try {
      pods.push(statusOf(store, pod));
    } catch (error) {
      if (store.refresh(pod) !== undefined) throw error;
    }
  }
  return pods.sort((a, b) => (a.created?.getTime() ?? 0) - (b.created?.getTime() ?? 0));
}

/** The pod manifest, as `rkt cat-manifest` prints it. */
export function podManifest(dataDir: string, uuid: string): PodManifest {
  const store = new PodStore(dataDir);
  const pod = store.find(uuid);
  const manifest = readPodManifest(pod.path);
  if (!manifest) {
    throw new RktError('pod', 'ERR_POD_NO_MANIFEST', `pod ${pod.uuid} has no manifest (state: ${store.state(pod)})`, {
      hint: 'a pod gets its manifest while it is prepared; an embryo or aborted pod may have none',
    });
  }
  return manifest;
}
