/**
 * The appc pod manifest (schema 0.8.11) that rkt writes for every pod and `rkt cat-manifest`
 * prints. It records what the pod runs, fully resolved, so a pod can be inspected without its images.
 */
export const APPC_VERSION = '0.8.11';

export interface NameValue {
  name: string;
  value: string;
}

export interface PodManifestApp {
  name: string;
  image: { name: string; id: string; labels: NameValue[] };
  app: {
    exec: string[];
    user: string;
    group: string;
    supplementaryGIDs?: number[];
    workingDirectory: string;
    environment: NameValue[];
    /** appc's form of the isolators the app runs with (image's and flags'), when it has any. */
    isolators?: { name: string; value: unknown }[];
  };
  readOnlyRootFS?: boolean;
  mounts: { volume: string; path: string }[];
  annotations: NameValue[];
  userAnnotations?: Record<string, string>;
  userLabels?: Record<string, string>;
}

/** appc's Volume. */
export interface PodManifestVolume {
  name: string;
  kind: 'host' | 'empty';
  source?: string;
  readOnly?: boolean;
  recursive?: boolean;
  mode?: string;
  uid?: number;
  gid?: number;
}

/** appc's ExposedPort: a host port forwarded to the app port `name` (rkt's --port). */
export interface PodManifestPort {
  name: string;
  hostPort: number;
  hostIP?: string;
}

export interface PodManifest {
  acKind: 'PodManifest';
  acVersion: string;
  apps: PodManifestApp[];
  volumes: PodManifestVolume[];
  isolators: unknown[];
  annotations: NameValue[];
  ports: PodManifestPort[];
}

/** rkt's own pod annotation; user annotations (from --pod-manifest) follow it. */
const RKT_POD_ANNOTATIONS: NameValue[] = [{ name: 'coreos.com/rkt/stage1/mutable', value: 'false' }];

export function newPodManifest(apps: PodManifestApp[], volumes: PodManifestVolume[] = [], ports: PodManifestPort[] = [], annotations: NameValue[] = []): PodManifest {
  return {
    acKind: 'PodManifest',
    acVersion: APPC_VERSION,
    apps,
    volumes,
    isolators: [],
    annotations: [...RKT_POD_ANNOTATIONS, ...annotations.filter((a) => !RKT_POD_ANNOTATIONS.some((own) => own.name === a.name))],
    ports,
  };
}
