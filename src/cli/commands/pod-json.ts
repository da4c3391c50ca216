/** The JSON shape of a pod in `list` and `status` (rkt's api/v1 Pod: times in ns since the epoch). */
import type { PodStatus } from '../../stage0/pod-status.js';
import { isExitedState } from '../../pod/pod-state.js';

/** rkt's `name:ip4=IP` per network, comma-separated (list's NETWORKS, status's networks=). */
export function networksText(pod: PodStatus): string {
  return pod.networks.map((net) => `${net.name}:ip4=${net.ip ?? ''}`).join(',');
}

const nanos = (date: Date | undefined) => (date === undefined ? 0 : date.getTime() * 1_000_000);

export function podJson(pod: PodStatus): object {
  return {
    name: pod.uuid,
    state: pod.state,
    networks: pod.networks.map((net) => ({ netName: net.name, ifName: net.ifName, ...(net.ip ? { ip: net.ip } : {}) })),
    app_names: pod.apps.map((app) => app.name),
    ...(pod.pid === undefined ? {} : { pid: pod.pid }),
    created_at: nanos(pod.created),
    started_at: nanos(pod.started),
    apps: pod.apps.map((app) => ({
      name: app.name,
      state: pod.state === 'running' ? 'running' : isExitedState(pod.state) ? 'exited' : 'unknown',
      image_id: app.imageId,
      image_name: app.imageName,
      ...(app.exitCode === undefined ? {} : { exit_code: app.exitCode }),
    })),
    ...(pod.failure ? { stage1_error: pod.failure } : {}),
  };
}
