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
  mounts: unknown[];
  annotations: NameValue[];
}

export interface PodManifest {
  acKind: 'PodManifest';
  acVersion: string;
  apps: PodManifestApp[];
  volumes: unknown[];
  isolators: unknown[];
  annotations: NameValue[];
  ports: unknown[];
}

export function newPodManifest(apps: PodManifestApp[]): PodManifest {
  return {
    acKind: 'PodManifest',
    acVersion: APPC_VERSION,
    apps,
    volumes: [],
    isolators: [],
    annotations: [{ name: 'coreos.com/rkt/stage1/mutable', value: 'false' }],
    ports: [],
  };
}
