/**
 * The part of `rkt run` that `rkt prepare` shares: resolve the apps and volumes, create the pod
 * directory (embryo → prepare, locked), write its manifest, empty volumes (with Docker's
 * copy-up), overlay and log directories, and the spec from which the stage1 plan is built when the
 * pod is launched (by `run` at once, by `run-prepared` later). Nothing here depends on how the pod
 * will be run (network, host name, terminal): that is decided at launch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';
import { isAppcImageArgument } from '../image/image-reference.js';
import { parsePortFlag, type PortForward } from '../net/port-flags.js';
import { newPodManifest, type NameValue, type PodManifestApp, type PodManifestPort, type PodManifestVolume } from '../pod/pod-manifest.js';
import { podPaths } from '../pod/pod-paths.js';
import { PodStore, type LockedPod } from '../pod/pod-store.js';
import { parseEnvFile } from './app-exec.js';
import { appcIsolatorList } from './appc-isolators.js';
import { checkUniqueVolumes, mergeMounts, parseMountFlag, parseVolumeFlag, resolveAppMounts, type AppMount, type Volume } from './pod-volumes.js';
import { withStoreInUse } from '../store/store-lock.js';
import type { PullPolicy } from './fetch-image.js';
import type { BlobProgress } from './import-image.js';
import type { RegistryAccess } from './registry-access.js';
import { checkAppName, resolveApp, type AppRequest, type ResolvedApp } from './resolve-app.js';
import { removePodDirectory } from './remove-pod.js';
import { copyUpFromLayers } from './volume-copy-up.js';

export interface PodRequest {
  dataDir: string;
  apps: AppRequest[];
  setEnv: string[];
  setEnvFile?: string;
  inheritEnv?: boolean;
  /** `--volume` values, unparsed. */
  volumes?: string[];
  /** Volumes already parsed (from `--pod-manifest`). */
  volumeObjects?: Volume[];
  /** `--mount` values given before the first image: every app gets them (its own win on the same path). */
  podMounts?: string[];
  /** `--port` values (NAME:[HOSTIP:]HOSTPORT), checked against the images' ports and kept in the pod manifest and spec. */
  ports?: string[];
  /** Pod annotations (from `--pod-manifest`). */
  podAnnotations?: NameValue[];
  uuidFileSave?: string;
  /** `--insecure-options=image`: unsigned images allowed. */
  allowUnsigned: boolean;
  /** `--pull-policy` (default `new`: fetch only what the store lacks). */
  pullPolicy?: PullPolicy;
  onProgress?: (progress: BlobProgress) => void;
  registry?: RegistryAccess;
}

/** One mount of an app as the plan needs it; `source` is relative to the pod directory for empty volumes. */
export interface SpecMount {
  volume: string;
  kind: 'host' | 'empty';
  /** Host path (kind=host) or the empty volume's name (kind=empty). */
  source: string;
  target: string;
  readOnly: boolean;
  recursive: boolean;
  /** Whether the source is a directory (else a file): decides what is created at the target. */
  directory: boolean;
}

export interface SpecApp extends ResolvedApp {
  mounts: SpecMount[];
}

/** `stage1/spec.json`: what `prepare` resolved. */
export interface PodSpec {
  version: 1;
  apps: SpecApp[];
  /** Ports to forward when the pod is launched (absent in specs written before ports were kept). */
  ports?: PortForward[];
}

export interface PreparedPod {
  pod: LockedPod;
  spec: PodSpec;
  /** Things the user should know that are not errors (e.g. a copy-up that was skipped). */
  warnings: string[];
}

function checkRequest(request: PodRequest): void {
  if (request.apps.length === 0) {
    throw new RktError('usage', 'ERR_RUN_NO_IMAGE', 'no image given', { hint: 'usage: rkt run [flags] IMAGE [-- args...]' });
  }
  // appc images (ACI files, URLs, names) are verified by signature when fetched; the rest cannot be.
  const unsigned = request.apps.find((app) => !isAppcImageArgument(app.image));
  if (!request.allowUnsigned && unsigned !== undefined) {
    throw new RktError('trust', 'ERR_TRUST_UNSIGNED_IMAGE', `image ${unsigned.image} is not signed, and rkt verifies images by default`, {
      hint: 'OCI and Docker images carry no signature rkt can verify; run with --insecure-options=image to accept it unverified',
    });
  }
  // overlayfs options separate paths with ':' and ','; a data directory containing them cannot work.
  if (/[:,\\]/.test(request.dataDir)) {
    throw new RktError('usage', 'ERR_DATA_DIR_INVALID', `data directory ${request.dataDir} contains ':', ',' or '\\', which overlayfs cannot take in a path`, {
      hint: 'choose another --dir (or paths.d "data")',
    });
  }
  for (const app of request.apps) if (app.name !== undefined) checkAppName(app.name);
}

function readEnvFile(file: string | undefined): string[] | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RktError('usage', 'ERR_ENV_FILE_UNREADABLE', `cannot read --set-env-file ${file}: ${(error as Error).message}`);
  }
  return parseEnvFile(text, file);
}

/**
 * A host volume's source must exist and be reached without symlinks (ACE §7.3.18-19): what the
 * user named is what gets mounted, not whatever a link points to when the pod starts.
 */
function checkHostSource(volume: Volume & { kind: 'host' }): boolean {
  let real: string;
  try {
    real = fs.realpathSync(volume.source);
  } catch {
    throw new RktError('usage', 'ERR_VOLUME_SOURCE_MISSING', `volume "${volume.name}": source ${volume.source} does not exist`, {
      hint: 'rkt does not create host paths; create it first',
    });
  }
  if (real !== volume.source) {
    throw new RktError('usage', 'ERR_VOLUME_SOURCE_SYMLINK', `volume "${volume.name}": source ${volume.source} is reached through a symlink (it is ${real})`, {
      hint: `name the real path: source=${real}`,
    });
  }
  return fs.statSync(real).isDirectory();
}

function checkUniqueNames(apps: ResolvedApp[]): void {
  const seen = new Set<string>();
  for (const app of apps) {
    if (seen.has(app.name)) {
      throw new RktError('usage', 'ERR_APP_NAME_DUPLICATE', `two apps are named "${app.name}"`, {
        hint: 'give each app its own name with --name=NAME after its image',
      });
    }
    seen.add(app.name);
  }
}

function toRecord(pairs: [string, string][]): Record<string, string> {
  return Object.fromEntries(pairs);
}

function manifestApp(app: SpecApp): PodManifestApp {
  const isolators = appcIsolatorList(app.isolators);
  return {
    name: app.name,
    image: { name: app.imageName, id: app.imageId, labels: [] },
    app: {
      exec: app.argv,
      user: String(app.uid),
      group: String(app.gid),
      ...(app.groups.length > 0 ? { supplementaryGIDs: app.groups } : {}),
      workingDirectory: app.cwd,
      environment: app.env.map((entry) => {
        const eq = entry.indexOf('=');
        return { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
      }),
      ...(isolators.length > 0 ? { isolators } : {}),
    },
    ...(app.readonlyRootfs ? { readOnlyRootFS: true } : {}),
    mounts: app.mounts.map((mount) => ({ volume: mount.volume, path: mount.target })),
    annotations: app.annotations.map(([name, value]) => ({ name, value })),
    ...(app.userAnnotations.length > 0 ? { userAnnotations: toRecord(app.userAnnotations) } : {}),
    ...(app.userLabels.length > 0 ? { userLabels: toRecord(app.userLabels) } : {}),
  };
}

/** `--port` values against the ports the pod's images declare; a name forwarded twice is refused (appc: names are unique). */
function resolvePorts(values: readonly string[], apps: readonly SpecApp[]): PortForward[] {
  const imagePorts = apps.flatMap((app) => app.ports);
  const forwards = values.map((value) => parsePortFlag(value, imagePorts));
  const seen = new Set<string>();
  for (const forward of forwards) {
    if (seen.has(forward.name)) throw new RktError('usage', 'ERR_PORT_FLAG', `port "${forward.name}" is forwarded twice`, { hint: 'give each image port one --port' });
    seen.add(forward.name);
  }
  return forwards;
}

function manifestPort(forward: PortForward): PodManifestPort {
  return { name: forward.name, hostPort: forward.hostPort, ...(forward.hostIP ? { hostIP: forward.hostIP } : {}) };
}

function manifestVolume(volume: Volume): PodManifestVolume {
  const readOnly = volume.readOnly === undefined ? {} : { readOnly: volume.readOnly };
  return volume.kind === 'host'
    ? { name: volume.name, kind: 'host', source: volume.source, recursive: volume.recursive, ...readOnly }
    : { name: volume.name, kind: 'empty', mode: volume.mode.toString(8).padStart(4, '0'), uid: volume.uid, gid: volume.gid, ...readOnly };
}

/** Creates every empty volume the apps use (mode and owner exact), copy-up included. */
function createEmptyVolumes(podDir: string, apps: SpecApp[], volumes: Volume[], warnings: string[]): void {
  const files = podPaths(podDir);
  const used = new Set(apps.flatMap((app) => app.mounts.map((mount) => mount.volume)));
  for (const volume of volumes) {
    if (volume.kind !== 'empty' || !used.has(volume.name)) continue;
    const dir = files.sharedVolume(volume.name);
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    fs.mkdirSync(dir);
    fs.chmodSync(dir, volume.mode);
    fs.chownSync(dir, volume.uid, volume.gid);
    if (volume.copyUp === undefined) continue;
    const app = apps.find((candidate) => candidate.mounts.some((mount) => mount.volume === volume.name))!;
    const result = copyUpFromLayers(app.layerDirs, volume.copyUp, dir);
    if (result === 'symlink-in-path') {
      warnings.push(`app "${app.name}": image volume ${volume.copyUp} is reached through a symlink in the image; its implicit volume ${volume.name} starts empty`);
    }
  }
}

/** Resolves everything and writes the pod directory; the pod is in prepare/, locked, on return. */
export async function preparePod(request: PodRequest): Promise<PreparedPod> {
  checkRequest(request);
  fs.mkdirSync(request.dataDir, { recursive: true, mode: 0o750 });
  const fileEnv = readEnvFile(request.setEnvFile);
  const volumes = [...(request.volumes ?? []).map(parseVolumeFlag), ...(request.volumeObjects ?? [])];
  const podMounts = (request.podMounts ?? []).map(parseMountFlag);
  checkUniqueVolumes(volumes);
  const hostIsDirectory = new Map(volumes.flatMap((volume) => (volume.kind === 'host' ? [[volume.name, checkHostSource(volume)] as const] : [])));
  const inherited = request.inheritEnv ? Object.entries(process.env).map(([name, value]) => `${name}=${value ?? ''}`) : undefined;

  const apps: SpecApp[] = [];
  const warnings: string[] = [];
  for (const request_ of request.apps) {
    const resolved = await resolveApp(request_, {
      warn: (message) => warnings.push(message),
      dataDir: request.dataDir, podEnv: request.setEnv,
      ...(fileEnv ? { fileEnv } : {}), ...(inherited ? { inherited } : {}),
      pullPolicy: request.pullPolicy ?? 'new',
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.registry ? { registry: request.registry } : {}),
    });
    const mounts: AppMount[] = resolveAppMounts({
      appName: resolved.name,
      mounts: mergeMounts([...(request_.mounts ?? []).map(parseMountFlag), ...(request_.mountRequests ?? [])], podMounts),
      imageMountPoints: resolved.imageMountPoints,
      volumes,
    });
    apps.push({
      ...resolved,
      mounts: mounts.map((mount) => ({
        volume: mount.volume.name,
        kind: mount.volume.kind,
        source: mount.volume.kind === 'host' ? mount.volume.source : mount.volume.name,
        target: mount.target,
        readOnly: mount.readOnly,
        recursive: mount.volume.kind === 'host' ? mount.volume.recursive : false,
        directory: mount.volume.kind === 'host' ? hostIsDirectory.get(mount.volume.name)! : true,
      })),
    });
  }
  checkUniqueNames(apps);
  const ports = resolvePorts(request.ports ?? [], apps);

  const store = new PodStore(request.dataDir);
  const pod = store.create();
  try {
    if (request.uuidFileSave !== undefined) fs.writeFileSync(request.uuidFileSave, `${pod.uuid}\n`, { mode: 0o644 });
    const files = podPaths(pod.path);
    fs.writeFileSync(files.manifest, JSON.stringify(newPodManifest(apps.map(manifestApp), volumes.map(manifestVolume), ports.map(manifestPort), request.podAnnotations)), { mode: 0o640 });
    fs.writeFileSync(files.created, '');
    fs.mkdirSync(files.statusDir, { mode: 0o750 });
    fs.mkdirSync(files.stage1Root, { recursive: true, mode: 0o755 });
    for (const app of apps) {
      fs.mkdirSync(files.overlayUpper(app.name), { recursive: true, mode: 0o755 });
      fs.mkdirSync(files.overlayWork(app.name), { recursive: true, mode: 0o700 });
      fs.mkdirSync(files.logDir(app.name), { recursive: true, mode: 0o750 });
    }
    createEmptyVolumes(pod.path, apps, volumes, warnings);
    const spec: PodSpec = { version: 1, apps, ports };
    fs.writeFileSync(files.spec, JSON.stringify(spec), { mode: 0o600 });
    return { pod, spec, warnings };
  } catch (error) {
    // A pod that never got prepared is of no use to anyone: remove it rather than leave it to gc.
    removePodDirectory(store.move(pod, 'garbage'));
    throw error;
  }
}

/** `rkt prepare`: the pod ends in prepared/, unlocked. */
export async function preparePodForLater(request: PodRequest): Promise<{ uuid: string; warnings: string[] }> {
  fs.mkdirSync(request.dataDir, { recursive: true, mode: 0o750 });
  const prepared = await withStoreInUse(request.dataDir, () => preparePod(request));
  const store = new PodStore(request.dataDir);
  store.move(prepared.pod, 'prepared');
  fs.closeSync(prepared.pod.lockFd);
  return { uuid: prepared.pod.uuid, warnings: prepared.warnings };
}

export function readPodSpec(podDir: string): PodSpec {
  const file = podPaths(podDir).spec;
  let spec: PodSpec;
  try {
    spec = JSON.parse(fs.readFileSync(file, 'utf8')) as PodSpec;
  } catch (error) {
    throw new RktError('pod', 'ERR_POD_SPEC_UNREADABLE', `cannot read the prepared pod's ${file}: ${(error as Error).message}`);
  }
  if (spec.version !== 1 || !Array.isArray(spec.apps)) throw new RktError('pod', 'ERR_POD_SPEC_UNREADABLE', `${file} is not a version 1 pod spec`);
  return spec;
}
