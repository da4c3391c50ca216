/**
 * `rkt run`'s stage0 work: resolve the apps, create the pod directory (embryo → prepare), write its
 * manifest, /etc files and the stage1 plan, move it to run/ while still holding its lock, and hand
 * the process over to the stage1 helper, which keeps the lock for the pod's lifetime.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';
import { newPodManifest, type PodManifestApp } from '../pod/pod-manifest.js';
import { appRootInPod, podPaths, type PodPaths } from '../pod/pod-paths.js';
import { PodStore, type LockedPod } from '../pod/pod-store.js';
import { execStage1, findStage1Helper } from '../stage1/helper-binary.js';
import { serializePlan, type Namespace, type Stage1Plan } from '../stage1/stage1-plan.js';
import { withStoreInUse } from '../store/store-lock.js';
import { appFilesystemSteps } from './app-filesystem.js';
import type { PullPolicy } from './fetch-image.js';
import type { BlobProgress } from './import-image.js';
import type { RegistryAccess } from './registry-access.js';
import { checkAppName, resolveApp, type AppRequest, type ResolvedApp } from './resolve-app.js';
import { removePodDirectory } from './remove-pod.js';

export type NetMode = 'host' | 'none';

export interface RunRequest {
  dataDir: string;
  apps: AppRequest[];
  net: NetMode;
  hostname?: string;
  setEnv: string[];
  uuidFileSave?: string;
  /** `--insecure-options=image`: unsigned images allowed. */
  allowUnsigned: boolean;
  /** `--pull-policy` (default `new`: fetch only what the store lacks). */
  pullPolicy?: PullPolicy;
  onProgress?: (progress: BlobProgress) => void;
  registry?: RegistryAccess;
}

export interface PreparedRun {
  uuid: string;
  pod: LockedPod;
  helper: string;
  planFile: string;
}

const FALLBACK_HOSTS = [
  '127.0.0.1\tlocalhost localhost.domain localhost4 localhost4.localdomain4',
  '::1\tip6-localhost ip6-loopback localhost6 localhost6.localdomain6',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
  'ff02::3\tip6-allhosts',
];

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function checkRequest(request: RunRequest): void {
  if (request.apps.length === 0) {
    throw new RktError('usage', 'ERR_RUN_NO_IMAGE', 'no image given', { hint: 'usage: rkt run [flags] IMAGE [-- args...]' });
  }
  if (!request.allowUnsigned) {
    throw new RktError('trust', 'ERR_TRUST_UNSIGNED_IMAGE', `image ${request.apps[0]!.image} is not signed, and rkt verifies images by default`, {
      hint: 'OCI images carry no signature rkt can verify yet; run with --insecure-options=image to accept it unverified',
    });
  }
  // overlayfs options separate paths with ':' and ','; a data directory containing them cannot work.
  if (/[:,\\]/.test(request.dataDir)) {
    throw new RktError('usage', 'ERR_DATA_DIR_INVALID', `data directory ${request.dataDir} contains ':', ',' or '\\', which overlayfs cannot take in a path`, {
      hint: 'choose another --dir (or paths.d "data")',
    });
  }
  if (request.hostname !== undefined && (!HOSTNAME.test(request.hostname) || request.hostname.length > 64)) {
    throw new RktError('usage', 'ERR_HOSTNAME_INVALID', `--hostname "${request.hostname}" is not a valid host name`);
  }
}

function writePodEtc(files: PodPaths, hostname: string, net: NetMode): { name: 'hostname' | 'hosts' | 'resolv.conf'; source: string }[] {
  fs.mkdirSync(files.etcDir, { mode: 0o755 });
  const etc: { name: 'hostname' | 'hosts' | 'resolv.conf'; source: string }[] = [];
  const write = (name: 'hostname' | 'hosts' | 'resolv.conf', content: string) => {
    const source = path.join(files.etcDir, name);
    fs.writeFileSync(source, content, { mode: 0o644 });
    etc.push({ name, source });
  };
  write('hostname', `${hostname}\n`);
  write('hosts', [...FALLBACK_HOSTS, `127.0.0.1\t${hostname}`, ''].join('\n'));
  // A pod on the host's network resolves names as the host does; with --net=none there is nothing
  // to resolve against, so the image's own file is left alone.
  if (net === 'host') {
    try {
      write('resolv.conf', fs.readFileSync('/etc/resolv.conf', 'utf8'));
    } catch {
      write('resolv.conf', '');
    }
  }
  return etc;
}

function manifestApp(app: ResolvedApp): PodManifestApp {
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
    },
    mounts: [],
    annotations: [],
  };
}

/**
 * Files are written where the pod is now (prepare/), but the plan names them where the pod will be
 * when the helper reads it (run/): the rename moves the whole directory.
 */
function buildPlan(pod: LockedPod, runDir: string, apps: ResolvedApp[], request: RunRequest, hostname: string): Stage1Plan {
  const now = podPaths(pod.path);
  const files = podPaths(runDir);
  const etcFiles = writePodEtc(now, hostname, request.net).map((file) => ({ ...file, source: path.join(files.etcDir, file.name) }));
  const namespaces: Namespace[] = ['mount', 'pid', 'uts', 'ipc', ...(request.net === 'none' ? (['net'] as const) : [])];
  const steps = apps.flatMap((app) => {
    fs.mkdirSync(now.overlayUpper(app.name), { recursive: true, mode: 0o755 });
    fs.mkdirSync(now.overlayWork(app.name), { recursive: true, mode: 0o700 });
    return appFilesystemSteps({
      appRoot: appRootInPod(app.name),
      layerDirs: app.layerDirs,
      upperDir: files.overlayUpper(app.name),
      workDir: files.overlayWork(app.name),
      etcFiles,
      workingDirectory: app.cwd,
    });
  });
  return {
    podDir: runDir,
    lockFd: pod.lockFd,
    errorFile: files.stage1Error,
    statusDir: files.statusDir,
    namespaces,
    hostname,
    root: files.stage1Root,
    steps,
    apps: apps.map((app) => ({
      name: app.name,
      root: appRootInPod(app.name),
      exec: app.argv[0]!,
      argv: app.argv,
      env: app.env,
      cwd: app.cwd,
      uid: app.uid,
      gid: app.gid,
      groups: app.groups,
    })),
  };
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

/**
 * Everything up to the hand-over; the pod is in run/, locked by this process, when it returns. The
 * store is held "in use" from fetching the images until the pod manifest names them, so that
 * `rkt image gc` cannot delete them in between (it keeps every image a pod manifest names).
 */
export async function prepareRun(request: RunRequest): Promise<PreparedRun> {
  checkRequest(request);
  for (const app of request.apps) if (app.name !== undefined) checkAppName(app.name);
  const helper = findStage1Helper();
  fs.mkdirSync(request.dataDir, { recursive: true, mode: 0o750 });
  return withStoreInUse(request.dataDir, () => preparePod(request, helper));
}

async function preparePod(request: RunRequest, helper: string): Promise<PreparedRun> {
  const apps: ResolvedApp[] = [];
  const options = {
    dataDir: request.dataDir,
    podEnv: request.setEnv,
    pullPolicy: request.pullPolicy ?? 'new',
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    ...(request.registry ? { registry: request.registry } : {}),
  };
  for (const app of request.apps) apps.push(await resolveApp(app, options));
  checkUniqueNames(apps);

  const store = new PodStore(request.dataDir);
  let pod = store.create();
  try {
    if (request.uuidFileSave !== undefined) fs.writeFileSync(request.uuidFileSave, `${pod.uuid}\n`, { mode: 0o644 });
    const files = podPaths(pod.path);
    const hostname = request.hostname ?? `rkt-${pod.uuid}`;
    fs.writeFileSync(files.manifest, JSON.stringify(newPodManifest(apps.map(manifestApp))), { mode: 0o640 });
    fs.writeFileSync(files.created, '');
    fs.mkdirSync(files.statusDir, { mode: 0o750 });
    fs.mkdirSync(files.stage1Root, { recursive: true, mode: 0o755 });
    const plan = buildPlan(pod, store.pathOf('run', pod.uuid), apps, request, hostname);
    fs.writeFileSync(files.plan, serializePlan(plan), { mode: 0o600 });
    pod = { ...store.move(pod, 'run'), lockFd: pod.lockFd };
    return { uuid: pod.uuid, pod, helper, planFile: podPaths(pod.path).plan };
  } catch (error) {
    // A pod that never started is of no use to anyone: remove it rather than leave it to gc.
    removePodDirectory(store.move(pod, 'garbage'));
    throw error;
  }
}

/** Becomes the pod: from here on this process is the stage1 helper. */
export function launchPreparedRun(prepared: PreparedRun): never {
  return execStage1(prepared.helper, prepared.planFile, prepared.pod.lockFd);
}
