/**
 * Turns one app of `rkt run` (an image reference plus its per-app flags) into everything stage1
 * needs: its layers extracted in the store, its command, environment, ids and working directory.
 */
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';
import { resolveImageUser } from '../image/image-user.js';
import type { CapabilityIsolator } from '../isolation/capabilities.js';
import type { SeccompIsolator } from '../isolation/seccomp-profile.js';
import type { AppcEventHandler } from '../schema/appc-manifest.js';
import { imagePortsFromExposed, type ImagePort } from '../net/port-flags.js';
import { ImageIndex } from '../store/image-index.js';
import { loadStoredImage } from '../store/stored-image.js';
import { appArgv, appEnvironment, appWorkingDirectory } from './app-exec.js';
import { imageIsolators } from './appc-isolators.js';
import { fetchImage, type FetchedImage, type PullPolicy } from './fetch-image.js';
import { extractLayers, type BlobProgress } from './import-image.js';
import { isAppcRecord } from '../schema/media-types.js';
import type { MountRequest } from './pod-volumes.js';
import type { RegistryAccess } from './registry-access.js';

export interface AppRequest {
  image: string;
  name?: string;
  exec?: string;
  args?: string[];
  user?: string;
  group?: string;
  workingDir?: string;
  environment: string[];
  /** `--supplementary-gids=1,2`: replaces the image user's supplementary groups. */
  supplementaryGids?: string;
  readonlyRootfs?: boolean;
  /** `--mount` values, unparsed. */
  mounts?: string[];
  /** Mounts already parsed (from `--pod-manifest`). */
  mountRequests?: MountRequest[];
  /** `--annotation`, `--user-annotation`, `--user-label` values (NAME=VALUE), unparsed. */
  annotations?: string[];
  userAnnotations?: string[];
  userLabels?: string[];
  isolators?: AppIsolators;
}

/** rkt's per-app isolators, from the command line (`--caps-retain`, `--memory`, ...) and an appc image's manifest. */
export interface AppIsolators {
  capabilities?: CapabilityIsolator;
  seccomp?: SeccompIsolator;
  memoryBytes?: number;
  cpuMillis?: number;
  cpuShares?: number;
  oomScoreAdj?: number;
}

export interface ResolvedApp {
  name: string;
  /** An appc image's `pre-start` and `post-stop` handlers, run as stage1 hooks. */
  eventHandlers?: AppcEventHandler[];
  imageName: string;
  imageId: string;
  /** Extracted layer directories, bottom first. */
  layerDirs: string[];
  argv: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  readonlyRootfs: boolean;
  /** The image config's `Volumes` (paths inside the app). */
  imageMountPoints: string[];
  annotations: [string, string][];
  userAnnotations: [string, string][];
  userLabels: [string, string][];
  isolators: AppIsolators;
  /** Ports the image declares (ExposedPorts), by rkt's names: `80-tcp`. */
  ports: ImagePort[];
}

const APP_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** rkt's app names are AC names; the default comes from the image's last path component. */
export function defaultAppName(nameBase: string): string {
  const base = path.basename(nameBase).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return base === '' ? 'app' : base;
}

export function checkAppName(name: string): string {
  if (!APP_NAME.test(name) || name.length > 64) {
    throw new RktError('usage', 'ERR_APP_NAME_INVALID', `app name "${name}" is invalid`, {
      hint: 'app names are lower-case letters and digits separated by single dashes, e.g. web-1',
    });
  }
  return name;
}

/** The user flags combine with the image's `User` field the way `docker run --user` does. */
function userSpec(imageUser: string | undefined, request: AppRequest): string | undefined {
  if (request.user === undefined && request.group === undefined) return imageUser;
  const [imageUserPart = '', imageGroupPart] = (imageUser ?? '').split(':');
  const user = request.user ?? imageUserPart;
  const group = request.group ?? imageGroupPart;
  return group === undefined ? user : `${user || '0'}:${group}`;
}

export interface ResolveAppOptions {
  dataDir: string;
  podEnv: string[];
  /** `--set-env-file` entries, checked. */
  fileEnv?: string[];
  /** `--inherit-env`: rkt's own environment. */
  inherited?: string[];
  pullPolicy: PullPolicy;
  onProgress?: (progress: BlobProgress) => void;
  registry?: RegistryAccess;
  /** Told what the image asks for that is not applied (an appc image's isolators rkt does not implement). */
  warn?: (message: string) => void;
}

function parseGids(text: string): number[] {
  return text.split(',').map((part) => {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(part) || Number(part) > 4294967294) {
      throw new RktError('usage', 'ERR_APP_GIDS_INVALID', `--supplementary-gids: "${part}" is not a group id (0-4294967294)`);
    }
    return Number(part);
  });
}

/** `NAME=VALUE` pairs of the annotation flags; rkt kept the first value of a repeated name. */
function parsePairs(values: readonly string[] | undefined, flag: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new RktError('usage', 'ERR_ANNOTATION_INVALID', `${flag}: "${value}" is not NAME=VALUE`);
    const name = value.slice(0, eq);
    if (!pairs.some(([existing]) => existing === name)) pairs.push([name, value.slice(eq + 1)]);
  }
  return pairs;
}

/**
 * Fetches the image as the pull policy says, then uses it from the store: its layers extracted in
 * cas/layers (from the stored blobs), its config, its last-used time refreshed.
 */
export async function resolveApp(request: AppRequest, options: ResolveAppOptions): Promise<ResolvedApp> {
  const { dataDir } = options;
  const fetched = await fetchImage({
    dataDir,
    image: request.image,
    pullPolicy: options.pullPolicy,
    extract: true,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  const index = await ImageIndex.open(dataDir);
  if (isAppcRecord(fetched.record)) return resolveAppcApp(request, options, fetched, index);
  const image = await (async () => {
    try {
      index.touch(fetched.record.id, Date.now());
      return await loadStoredImage(dataDir, index, fetched.record.id);
    } finally {
      index.close();
    }
  })();
  const name = checkAppName(request.name ?? defaultAppName(fetched.appNameBase));
  const layerDirs = await extractLayers(dataDir, image.layers);
  const exec = image.config.config;
  const user = await resolveImageUser(layerDirs, userSpec(exec?.User, request), { imageName: request.image });
  return {
    name,
    imageName: image.record.name,
    imageId: image.record.id.replace(':', '-'),
    layerDirs,
    argv: appArgv(name, exec, request),
    env: appEnvironment({
      appName: name, imageEnv: exec?.Env ?? [], podEnv: options.podEnv, appEnv: request.environment, uid: user.uid,
      ...(options.fileEnv ? { fileEnv: options.fileEnv } : {}),
      ...(options.inherited ? { inherited: options.inherited } : {}),
    }),
    cwd: appWorkingDirectory(exec, request),
    uid: user.uid,
    gid: user.gid,
    groups: request.supplementaryGids !== undefined ? parseGids(request.supplementaryGids) : (user.additionalGids ?? []),
    readonlyRootfs: request.readonlyRootfs ?? false,
    imageMountPoints: Object.keys(exec?.Volumes ?? {}),
    annotations: parsePairs(request.annotations, '--annotation'),
    userAnnotations: parsePairs(request.userAnnotations, '--user-annotation'),
    userLabels: parsePairs(request.userLabels, '--user-label'),
    isolators: request.isolators ?? {},
    ports: imagePortsFromExposed(exec?.ExposedPorts),
  };
}

/**
 * An app from an appc image: the manifest's app (exec, user and group, which are required and may
 * be names from the image's /etc/passwd and /etc/group, environment, workingDirectory,
 * supplementaryGIDs, mountPoints, ports) in place of an OCI config, over the layers of the image
 * and its dependencies. Command-line flags override it as they do an OCI config.
 */
async function resolveAppcApp(request: AppRequest, options: ResolveAppOptions, fetched: FetchedImage, index: ImageIndex): Promise<ResolvedApp> {
  const { dataDir } = options;
  let manifest;
  let chain;
  try {
    index.touch(fetched.record.id, Date.now());
    // appc's manifest schema is loaded for appc images only
    const { appcLayerChain, readAppcManifest } = await import('./appc-image.js');
    manifest = (await readAppcManifest(dataDir, fetched.record)).manifest;
    chain = await appcLayerChain(dataDir, index, fetched.record);
  } finally {
    index.close();
  }
  const name = checkAppName(request.name ?? defaultAppName(fetched.appNameBase));
  const layerDirs = await extractLayers(dataDir, chain);
  const app = manifest.app ?? undefined;
  const exec = {
    ...(app?.exec ? { Entrypoint: app.exec } : {}),
    Env: (app?.environment ?? []).map((entry) => `${entry.name}=${entry.value}`),
    ...(app?.workingDirectory ? { WorkingDir: app.workingDirectory } : {}),
  };
  const imageUser = app ? `${app.user}:${app.group}` : undefined;
  const user = await resolveImageUser(layerDirs, userSpec(imageUser, request), { imageName: request.image });
  const fromImage = imageIsolators(`image ${fetched.record.name}`, app?.isolators ?? []);
  for (const isolator of fromImage.ignored) options.warn?.(`app "${name}": image isolator ${isolator} is ignored`);
  const groups = request.supplementaryGids !== undefined ? parseGids(request.supplementaryGids) : (app?.supplementaryGIDs ?? user.additionalGids ?? []);
  return {
    name,
    imageName: fetched.record.name,
    imageId: fetched.record.id.replace(':', '-'),
    layerDirs,
    argv: appArgv(name, exec, request),
    env: appEnvironment({
      appName: name, imageEnv: exec.Env, podEnv: options.podEnv, appEnv: request.environment, uid: user.uid,
      ...(options.fileEnv ? { fileEnv: options.fileEnv } : {}),
      ...(options.inherited ? { inherited: options.inherited } : {}),
    }),
    cwd: appWorkingDirectory(exec, request),
    uid: user.uid,
    gid: user.gid,
    groups,
    readonlyRootfs: request.readonlyRootfs ?? false,
    imageMountPoints: (app?.mountPoints ?? []).map((mount) => mount.path),
    annotations: parsePairs(request.annotations, '--annotation'),
    userAnnotations: parsePairs(request.userAnnotations, '--user-annotation'),
    userLabels: parsePairs(request.userLabels, '--user-label'),
    // the command line's isolators replace the image's of the same kind, as rkt's did
    isolators: { ...fromImage.isolators, ...request.isolators },
    ports: (app?.ports ?? []).map((port) => ({ name: port.name, port: port.port, protocol: port.protocol })),
    ...(app?.eventHandlers?.length ? { eventHandlers: app.eventHandlers } : {}),
  };
}
