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

export interface PodManifest {
  acKind: 'PodManifest';
  acVersion: string;
  apps: PodManifestApp[];
  volumes: PodManifestVolume[];
  isolators: unknown[];
  annotations: NameValue[];
  ports: unknown[];
}

export function newPodManifest(apps: PodManifestApp[], volumes: PodManifestVolume[] = []): PodManifest {
  return {
    acKind: 'PodManifest',
    acVersion: APPC_VERSION,
    apps,
    volumes,
    isolators: [],
    annotations: [{ name: 'coreos.com/rkt/stage1/mutable', value: 'false' }],
    ports: [],
  };
}
