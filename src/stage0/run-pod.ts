/**
 * `rkt run`'s stage0 work: resolve the apps, create the pod directory (embryo → prepare), write its
 * manifest, /etc files and the stage1 plan, move it to run/ while still holding its lock, and hand
 * the process over to the stage1 helper, which keeps the lock for the pod's lifetime.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';
import { newPodManifest, type PodManifestApp } from '../pod/pod-manifest.js';
import { appRootInPod, podPaths } from '../pod/pod-paths.js';
import { PodStore, type LockedPod } from '../pod/pod-store.js';
import { execStage1, findStage1Helper } from '../stage1/helper-binary.js';
import { serializePlan, type Namespace, type Stage1Plan } from '../stage1/stage1-plan.js';
import type { DnsFlags } from '../net/dns-config.js';
import type { NetSelection } from '../net/net-flags.js';
import { loadNetworkConfs, selectNetworks, userNetDir, type SelectedNetwork } from '../net/network-confs.js';
import { parsePortFlag, type PortForward } from '../net/port-flags.js';
import { setupPodNetwork, type PodNetwork } from '../net/pod-network.js';
import { appFilesystemSteps } from './app-filesystem.js';
import { checkPodEtcFlags, writePodEtc } from './pod-etc.js';
import { checkAppName, resolveApp, type AppRequest, type ResolvedApp } from './resolve-app.js';
import { removePodDirectory } from './remove-pod.js';

/** Where CNI plugins are looked up (CNI_PATH), after `<local-config>/net.d`, as rkt searched. */
export const CNI_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

export interface RunRequest {
  dataDir: string;
  /** `--local-config`: its net.d holds the user's networks (and plugins). */
  localConfig: string;
  apps: AppRequest[];
  net: NetSelection;
  /** `--port` values, NAME:[HOSTIP:]HOSTPORT. */
  ports: string[];
  dns: DnsFlags;
  hostsEntries: string[];
  hostname?: string;
  setEnv: string[];
  uuidFileSave?: string;
  /** `--insecure-options=image`: unsigned images allowed. */
  allowUnsigned: boolean;
}

export interface PreparedRun {
  uuid: string;
  pod: LockedPod;
  helper: string;
  planFile: string;
}

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
  if (request.ports.length > 0 && request.net.mode !== 'cni') {
    throw new RktError('usage', 'ERR_PORT_NEEDS_NETWORK', `--port cannot be used with --net=${request.net.mode}`, {
      hint: 'ports are forwarded to a pod on a CNI network, e.g. --net=default',
    });
  }
  checkPodEtcFlags(request.dns, request.hostsEntries);
  if (request.hostname !== undefined && (!HOSTNAME.test(request.hostname) || request.hostname.length > 64)) {
    throw new RktError('usage', 'ERR_HOSTNAME_INVALID', `--hostname "${request.hostname}" is not a valid host name`);
  }
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
interface PodContext {
  runDir: string;
  hostname: string;
  network?: PodNetwork;
}

function buildPlan(pod: LockedPod, apps: ResolvedApp[], request: RunRequest, context: PodContext): Stage1Plan {
  const now = podPaths(pod.path);
  const files = podPaths(context.runDir);
  const etcFiles = writePodEtc({
    etcDir: now.etcDir,
    hostname: context.hostname,
    net: request.net.mode,
    dns: request.dns,
    hostsEntries: request.hostsEntries,
    ...(context.network ? { network: context.network } : {}),
  }).map((file) => ({ ...file, source: path.join(files.etcDir, file.name) }));
  // --net=none: a new, empty namespace made by the helper; CNI: the one stage0 prepared; host: none.
  const namespaces: Namespace[] = ['mount', 'pid', 'uts', 'ipc', ...(request.net.mode === 'none' ? (['net'] as const) : [])];
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
    podDir: context.runDir,
    lockFd: pod.lockFd,
    errorFile: files.stage1Error,
    statusDir: files.statusDir,
    namespaces,
    ...(context.network ? { netns: context.network.netns } : {}),
    hostname: context.hostname,
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

function portForwards(request: RunRequest, apps: ResolvedApp[]): PortForward[] {
  const imagePorts = apps.flatMap((app) => app.ports);
  return request.ports.map((value) => parsePortFlag(value, imagePorts));
}

function selectedNetworks(request: RunRequest): SelectedNetwork[] {
  return request.net.mode === 'cni' ? selectNetworks(loadNetworkConfs(request.localConfig), request.net.networks) : [];
}

/** Everything up to the hand-over; the pod is in run/, locked by this process, when it returns. */
export async function prepareRun(request: RunRequest): Promise<PreparedRun> {
  checkRequest(request);
  for (const app of request.apps) if (app.name !== undefined) checkAppName(app.name);
  const helper = findStage1Helper();
  fs.mkdirSync(request.dataDir, { recursive: true, mode: 0o750 });
  const apps: ResolvedApp[] = [];
  for (const app of request.apps) apps.push(await resolveApp(app, { dataDir: request.dataDir, podEnv: request.setEnv }));
  checkUniqueNames(apps);
  const networks = selectedNetworks(request);
  const ports = portForwards(request, apps);

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
    const network =
      request.net.mode === 'cni'
        ? setupPodNetwork({ podDir: pod.path, uuid: pod.uuid, networks, pluginDirs: [userNetDir(request.localConfig), ...CNI_PLUGIN_DIRS], ports })
        : undefined;
    const plan = buildPlan(pod, apps, request, { runDir: store.pathOf('run', pod.uuid), hostname, ...(network ? { network } : {}) });
    fs.writeFileSync(files.plan, serializePlan(plan), { mode: 0o600 });
    pod = { ...store.move(pod, 'run'), lockFd: pod.lockFd };
    return { uuid: pod.uuid, pod, helper, planFile: podPaths(pod.path).plan };
  } catch (error) {
    // A pod that never started is of no use to anyone: remove it (and undo its network) rather
    // than leave it to gc. If that fails too, gc finds it in garbage/; the first error is the one
    // the user needs.
    try {
      removePodDirectory(store.move(pod, 'garbage'));
    } catch {
      // left for gc
    }
    throw error;
  }
}

/** Becomes the pod: from here on this process is the stage1 helper. */
export function launchPreparedRun(prepared: PreparedRun): never {
  return execStage1(prepared.helper, prepared.planFile, prepared.pod.lockFd);
}
