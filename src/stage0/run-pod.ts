/**
 * Launching a pod: `rkt run` (prepare, then launch at once) and `rkt run-prepared` (launch a pod
 * that `rkt prepare` left in prepared/). Launch writes what depends on how the pod runs (network,
 * host name, terminal): the /etc files and the stage1 plan; it moves the pod to run/ while holding
 * its lock and hands the process over to the stage1 helper, which keeps the lock for the pod's
 * lifetime. What prepare and run share lives in prepare-pod.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { createPodCgroups, detectCgroupLayout, type PodCgroups } from '../isolation/cgroups.js';
import { maskedPaths, READONLY_PATHS } from '../isolation/masked-paths.js';
import { compileDeviceFilter, encodeDeviceFilter } from '../isolation/device-bpf.js';
import { allocateUserRange, releaseUserRange, shiftOwnership, userRangeMaps, type UserRange } from '../isolation/private-users.js';
import { appRootInPod, podPaths, type PodPaths } from '../pod/pod-paths.js';
import { PodStore, type LockedPod } from '../pod/pod-store.js';
import { execStage1, findStage1Helper } from '../stage1/helper-binary.js';
import { serializePlan, type AppPlan, type Namespace, type Stage1Plan } from '../stage1/stage1-plan.js';
import type { DnsFlags } from '../net/dns-config.js';
import type { NetSelection } from '../net/net-flags.js';
import { loadNetworkConfs, selectNetworks, userNetDir, type SelectedNetwork } from '../net/network-confs.js';
import { setupPodNetwork, type PodNetwork } from '../net/pod-network.js';
import { withStoreInUse } from '../store/store-lock.js';
import { appFilesystemSteps } from './app-filesystem.js';
import { checkPodEtcFlags, writePodEtc } from './pod-etc.js';
import { appIsolation, eventHandlerHooks } from './app-isolation.js';
import { appVolumeSteps } from './app-volume-steps.js';
import { writeLaunchRecord } from './launch-record.js';
import { preparePod, readPodSpec, type PodRequest, type PodSpec, type SpecApp } from './prepare-pod.js';
import { removePodDirectory } from './remove-pod.js';

/** Where CNI plugins are looked up (CNI_PATH), after `<local-config>/net.d`, as rkt searched. */
export const CNI_PLUGIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

/** Each app's stdout and stderr log file is rotated to `.1` at this size (so at most twice this per stream). */
export const LOG_MAX_BYTES = 1024 * 1024;

/** How the pod runs; `run` and `run-prepared` both take these. */
export interface LaunchOptions {
  net: NetSelection;
  /** `--local-config`: its net.d holds the user's networks (and plugins). */
  localConfig: string;
  dns: DnsFlags;
  hostsEntries: string[];
  hostname?: string;
  /** The app gets rkt's terminal; one app only; its output is not logged. */
  interactive?: boolean;
  /** `--insecure-options=capabilities,paths,seccomp`: the protections turned off. */
  insecure?: ReadonlySet<string>;
  /** `--private-users`: the apps in a user namespace on a host uid/gid range of their own. */
  privateUsers?: boolean;
}

/** `--port` values are part of the PodRequest: prepare resolves them and keeps them in the spec. */
export interface RunRequest extends PodRequest, LaunchOptions {}

/** Every pod app's default process limit, as podman's (Docker has none, which CIS flags). */
export const DEFAULT_PIDS_MAX = 2048;

export interface PreparedRun {
  uuid: string;
  pod: LockedPod;
  helper: string;
  planFile: string;
  warnings: string[];
}
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function checkLaunch(options: LaunchOptions, appCount: number, portCount: number): void {
  if (options.hostname !== undefined && (!HOSTNAME.test(options.hostname) || options.hostname.length > 64)) {
    throw new RktError('usage', 'ERR_HOSTNAME_INVALID', `--hostname "${options.hostname}" is not a valid host name`);
  }
  if (portCount > 0 && options.net.mode !== 'cni') {
    throw new RktError('usage', 'ERR_PORT_NEEDS_NETWORK', `--port cannot be used with --net=${options.net.mode}`, {
      hint: 'ports are forwarded to a pod on a CNI network, e.g. --net=default',
    });
  }
  checkPodEtcFlags(options.dns, options.hostsEntries);
  if (options.interactive && appCount > 1) {
    throw new RktError('usage', 'ERR_INTERACTIVE_MULTIPLE_APPS', `--interactive needs a pod with exactly one app; this one has ${appCount}`, {
      hint: 'run the apps that need a terminal in a pod of their own',
    });
  }
}

/** The app's isolation (shared with `rkt enter`); its seccomp program is written to the pod now, named where it will be. */
function isolationFor(app: SpecApp, insecure: ReadonlySet<string>, now: string, later: string, cgroups: PodCgroups): Partial<AppPlan> {
  const { plan, seccompProgram } = appIsolation(app, insecure, cgroups.apps.get(app.name)?.dirs ?? []);
  if (!seccompProgram) return plan;
  fs.writeFileSync(podPaths(now).seccompProgram(app.name), seccompProgram, { mode: 0o600 });
  return { ...plan, seccompFile: podPaths(later).seccompProgram(app.name) };
}

function createCgroupsFor(pod: LockedPod, spec: PodSpec, now: PodPaths): PodCgroups {
  const cgroups = createPodCgroups({
    layout: detectCgroupLayout(),
    uuid: pod.uuid,
    apps: spec.apps.map((app) => {
      const isolators = app.isolators ?? {};
      return {
        name: app.name,
        resources: {
          ...(isolators.memoryBytes === undefined ? {} : { memoryBytes: isolators.memoryBytes }),
          ...(isolators.cpuMillis === undefined ? {} : { cpuMillis: isolators.cpuMillis }),
          ...(isolators.cpuShares === undefined ? {} : { cpuShares: isolators.cpuShares }),
          pidsMax: DEFAULT_PIDS_MAX,
          restrictDevices: true,
        },
      };
    }),
  });
  // recorded at once: whatever happens next, removing the pod removes its cgroups
  fs.writeFileSync(now.cgroups, JSON.stringify(cgroups.created), { mode: 0o600 });
  return cgroups;
}

/**
 * Claims the pod's host id range (recorded at once in the range file; `rkt rm` gives it back) and
 * moves what the pod writes to it: the overlay upper directories' roots and the empty volumes. The
 * image layers stay as they are, shared: the helper idmaps them.
 */
function privateUsersFor(pod: LockedPod, spec: PodSpec): UserRange {
  const dataDir = path.resolve(pod.path, '../../..');
  const range = allocateUserRange(dataDir, pod.uuid);
  const files = podPaths(pod.path);
  try {
    for (const app of spec.apps) {
      const upper = files.overlayUpper(app.name);
      const stat = fs.statSync(upper);
      if (stat.uid < range.shift) fs.chownSync(upper, stat.uid + range.shift, stat.gid + range.shift);
    }
    const volumes = new Set(spec.apps.flatMap((app) => app.mounts.filter((mount) => mount.kind !== 'host').map((mount) => mount.source)));
    for (const volume of volumes) {
      const dir = files.sharedVolume(volume);
      if (fs.existsSync(dir)) shiftOwnership(dir, range.shift);
    }
  } catch (error) {
    // not yet in launch.json, so removing the pod would not find it
    releaseUserRange(dataDir, pod.uuid, range.shift);
    throw error;
  }
  return range;
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

function buildPlan(pod: LockedPod, spec: PodSpec, options: LaunchOptions, context: PodContext): Stage1Plan {
  const { runDir, hostname } = context;
  const now = podPaths(pod.path);
  const files = podPaths(runDir);
  const insecure = options.insecure ?? new Set<string>();
  const cgroups = createCgroupsFor(pod, spec, now);
  const users = options.privateUsers ? privateUsersFor(pod, spec) : undefined;
  // v2 has no devices controller: the allow-list is an eBPF program on each app's group
  if (cgroups.version === 2) fs.writeFileSync(now.devicesProgram, encodeDeviceFilter(compileDeviceFilter()), { mode: 0o600 });
  writeLaunchRecord(now.launch, {
    version: 1,
    insecure: [...insecure].sort(),
    cgroups: Object.fromEntries(spec.apps.map((app) => [app.name, cgroups.apps.get(app.name)?.dirs ?? []])),
    ...(users ? { privateUsers: users } : {}),
  });
  // recursive: a run-prepared that failed half-way may have made it already
  fs.mkdirSync(now.pidsDir, { mode: 0o750, recursive: true });
  const masked = insecure.has('paths') ? undefined : { masked: maskedPaths(), readOnly: READONLY_PATHS };
  const etcFiles = writePodEtc({
    etcDir: now.etcDir,
    hostname,
    net: options.net.mode,
    dns: options.dns,
    hostsEntries: options.hostsEntries,
    ...(context.network ? { network: context.network } : {}),
  }).map((file) => ({ ...file, source: path.join(files.etcDir, file.name) }));
  // --net=none: a new, empty namespace made by the helper; CNI: the one stage0 prepared; host: none.
  // --private-users: a user namespace, which owns the others (made inside it)
  const namespaces: Namespace[] = ['mount', 'pid', 'uts', 'ipc', ...(options.net.mode === 'none' ? (['net'] as const) : []), ...(users ? (['user'] as const) : [])];
  const steps = spec.apps.flatMap((app) => [
    ...appFilesystemSteps({
      appRoot: appRootInPod(app.name),
      layerDirs: app.layerDirs,
      upperDir: files.overlayUpper(app.name),
      workDir: files.overlayWork(app.name),
      etcFiles,
      workingDirectory: app.cwd,
      ...(masked ? { protectedPaths: masked } : {}),
      cgroupViews: cgroups.apps.get(app.name)?.views ?? [],
    }),
    ...appVolumeSteps(
      appRootInPod(app.name),
      app.mounts.map((mount) => ({ ...mount, source: mount.kind === 'host' ? mount.source : files.sharedVolume(mount.source) })),
      app.readonlyRootfs,
    ),
  ]);
  return {
    podDir: runDir,
    pidsDir: files.pidsDir,
    lockFd: pod.lockFd,
    errorFile: files.stage1Error,
    statusDir: files.statusDir,
    namespaces,
    ...(context.network ? { joins: { net: context.network.netns } } : {}),
    hostname,
    ...(users ? { userNamespace: userRangeMaps(users), idmaps: [...new Set(spec.apps.flatMap((app) => app.layerDirs))] } : {}),
    root: files.stage1Root,
    steps,
    apps: spec.apps.map((app): AppPlan => {
      const isolation = isolationFor(app, insecure, pod.path, runDir, cgroups);
      return {
        name: app.name,
        root: appRootInPod(app.name),
        exec: app.argv[0]!,
        argv: app.argv,
        env: app.env,
        cwd: app.cwd,
        uid: app.uid,
        gid: app.gid,
        groups: app.groups,
        ownMountNamespace: true,
        ownCgroupNamespace: true,
        ...(options.interactive ? {} : { log: { dir: files.logDir(app.name), maxBytes: LOG_MAX_BYTES } }),
        ...isolation,
        ...(cgroups.version === 2 ? { devicesFile: files.devicesProgram } : {}),
        ...(app.eventHandlers ? { hooks: eventHandlerHooks(app.eventHandlers, isolation) } : {}),
      };
    }),
  };
}

function selectedNetworks(options: LaunchOptions): SelectedNetwork[] {
  return options.net.mode === 'cni' ? selectNetworks(loadNetworkConfs(options.localConfig), options.net.networks) : [];
}

/**
 * Writes the launch files into a locked pod (in prepare/ or prepared/), sets up its network, and
 * moves it to run/. The network is recorded in the pod directory as it is made, so removing the
 * pod undoes it whatever happens next.
 */
function launchFiles(store: PodStore, pod: LockedPod, spec: PodSpec, options: LaunchOptions): LockedPod {
  const runDir = store.pathOf('run', pod.uuid);
  const networks = selectedNetworks(options);
  const ports = spec.ports ?? [];
  const network =
    options.net.mode === 'cni'
      ? setupPodNetwork({ podDir: pod.path, uuid: pod.uuid, networks, pluginDirs: [userNetDir(options.localConfig), ...CNI_PLUGIN_DIRS], ports })
      : undefined;
  const plan = buildPlan(pod, spec, options, { runDir, hostname: options.hostname ?? `rkt-${pod.uuid}`, ...(network ? { network } : {}) });
  fs.writeFileSync(podPaths(pod.path).plan, serializePlan(plan), { mode: 0o600 });
  return { ...store.move(pod, 'run'), lockFd: pod.lockFd };
}

/**
 * Everything up to the hand-over; the pod is in run/, locked by this process, when it returns. The
 * store is held "in use" from fetching the images until the pod manifest names them, so that
 * `rkt image gc` cannot delete them in between (it keeps every image a pod manifest names).
 */
export async function prepareRun(request: RunRequest): Promise<PreparedRun> {
  checkLaunch(request, request.apps.length, request.ports?.length ?? 0);
  const helper = findStage1Helper();
  fs.mkdirSync(request.dataDir, { recursive: true, mode: 0o750 });
  const { pod, spec, warnings } = await withStoreInUse(request.dataDir, () => preparePod(request));
  const store = new PodStore(request.dataDir);
  try {
    const running = launchFiles(store, pod, spec, request);
    return { uuid: pod.uuid, pod: running, helper, planFile: podPaths(running.path).plan, warnings };
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

export interface RunPreparedRequest extends LaunchOptions {
  dataDir: string;
  uuid: string;
}

/**
 * `rkt run-prepared`: locks a prepared pod, writes its launch files and renames it to run/. Of two
 * concurrent callers, one gets the lock and the other fails; a pod that is not (or no longer) in
 * prepared/ is an error.
 */
export function prepareRunPrepared(request: RunPreparedRequest): PreparedRun {
  const store = new PodStore(request.dataDir);
  const found = store.find(request.uuid);
  if (found.dir !== 'prepared') {
    throw new RktError('pod', 'ERR_POD_NOT_PREPARED', `pod ${found.uuid} is ${store.state(found)}, not prepared`, {
      hint: 'only a pod made by `rkt prepare` and not yet run can be started with run-prepared',
    });
  }
  const helper = findStage1Helper();
  let pod: LockedPod | undefined;
  try {
    pod = store.tryLock(found);
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
    throw new RktError('pod', 'ERR_POD_GONE', `pod ${found.uuid} is no longer in prepared/`, { hint: 'another rkt command started or removed it at the same time' });
  }
  if (!pod) {
    throw new RktError('pod', 'ERR_POD_BUSY', `pod ${found.uuid} is being started or removed by another rkt process`);
  }
  try {
    if (!fs.existsSync(pod.path)) throw new RktError('pod', 'ERR_POD_GONE', `pod ${pod.uuid} is no longer in prepared/`, { hint: 'another rkt command started or removed it at the same time' });
    const spec = readPodSpec(pod.path);
    checkLaunch(request, spec.apps.length, spec.ports?.length ?? 0);
    const running = launchFiles(store, pod, spec, request);
    return { uuid: pod.uuid, pod: running, helper, planFile: podPaths(running.path).plan, warnings: [] };
  } catch (error) {
    fs.closeSync(pod.lockFd);
    throw error;
  }
}

/** Becomes the pod: from here on this process is the stage1 helper. */
export function launchPreparedRun(prepared: PreparedRun): never {
  return execStage1(prepared.helper, prepared.planFile, prepared.pod.lockFd);
}
