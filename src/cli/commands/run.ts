/**
 * `rkt run`: prepares the pod in Node, then becomes the stage1 helper (execve), so the caller's
 * process is the pod's supervisor and the pod's exit status is rkt's. `rkt prepare` shares the
 * grammar and stops after preparing.
 */
import { RktError } from '../../errors/rkt-error.js';
import { preparePodForLater, type PodRequest } from '../../stage0/prepare-pod.js';
import { parseNetFlags } from '../../net/net-flags.js';
import { checkPodManifestConflicts, loadPodManifest } from '../../stage0/pod-manifest-file.js';
import { parsePullPolicy } from '../../stage0/fetch-image.js';
import { registryAccess } from '../../stage0/registry-access.js';
import { launchPreparedRun, prepareRun } from '../../stage0/run-pod.js';
import { startFetchProgress } from '../render/fetch-progress.js';
import { mergeRawOptions, resolveGlobalOptions, type GlobalOptions, type RawGlobalOptions } from '../global-options.js';
import { requireRoot } from '../require-root.js';
import { parseRunArgs, RUN_HELP, type RunArgs } from '../run-args.js';

/**
 * rkt: --pod-manifest replaces the images, volumes, mounts, ports and environment flags, and its
 * images come from the store only; otherwise the command line's apps are the pod.
 */
async function podRequest(args: RunArgs, globals: GlobalOptions, onProgress: PodRequest['onProgress']): Promise<PodRequest> {
  if (args.podManifest !== undefined) {
    checkPodManifestConflicts({
      images: args.apps.length,
      volumes: (args.volumes ?? []).length > 0,
      mounts: (args.podMounts ?? []).length > 0,
      ports: args.ports.length > 0,
      env: args.setEnv.length > 0 || args.setEnvFile !== undefined || args.inheritEnv === true,
      ...(args.pullPolicy === undefined ? {} : { pullPolicy: args.pullPolicy }),
    });
    if (args.pullPolicy !== undefined) parsePullPolicy(args.pullPolicy);
    const manifest = await loadPodManifest(args.podManifest, globals.dir);
    return {
      pullPolicy: 'never',
      dataDir: globals.dir,
      apps: manifest.apps,
      setEnv: [],
      volumeObjects: manifest.volumes,
      ports: manifest.ports,
      podAnnotations: manifest.annotations,
      ...(args.uuidFileSave === undefined ? {} : { uuidFileSave: args.uuidFileSave }),
      allowUnsigned: globals.insecure.has('image'),
    };
  }
  return {
    pullPolicy: parsePullPolicy(args.pullPolicy ?? 'new'),
    ...(onProgress ? { onProgress } : {}),
    registry: registryAccess(globals.insecure, { system: globals.systemConfig, local: globals.localConfig, ...(globals.userConfig ? { user: globals.userConfig } : {}) }),
    dataDir: globals.dir,
    apps: args.apps,
    setEnv: args.setEnv,
    ...(args.setEnvFile === undefined ? {} : { setEnvFile: args.setEnvFile }),
    ...(args.inheritEnv ? { inheritEnv: true } : {}),
    ...(args.volumes ? { volumes: args.volumes } : {}),
    ...(args.podMounts ? { podMounts: args.podMounts } : {}),
    ports: args.ports,
    ...(args.uuidFileSave === undefined ? {} : { uuidFileSave: args.uuidFileSave }),
    allowUnsigned: globals.insecure.has('image'),
  };
}

function printWarnings(command: string, warnings: string[]): void {
  for (const warning of warnings) process.stderr.write(`${command}: warning: ${warning}\n`);
}

export async function runCommand(argv: string[], programGlobals: RawGlobalOptions): Promise<void> {
  const args = parseRunArgs(argv);
  if (args.help) {
    process.stdout.write(RUN_HELP);
    return;
  }
  const globals = resolveGlobalOptions(mergeRawOptions(programGlobals, args.global));
  requireRoot('run');
  if (args.quiet !== undefined) throw new RktError('usage', 'ERR_RUN_ARGS', 'unknown flag "--quiet" (it belongs to rkt prepare)');
  const progress = await startFetchProgress();
  const prepared = await podRequest(args, globals, progress.update).then((request) => prepareRun({
    ...request,
    localConfig: globals.localConfig,
    net: parseNetFlags(args.net),
    dns: { servers: args.dns, search: args.dnsSearch, options: args.dnsOpt, ...(args.dnsDomain === undefined ? {} : { domain: args.dnsDomain }) },
    hostsEntries: args.hostsEntries,
    ...(args.hostname === undefined ? {} : { hostname: args.hostname }),
    ...(args.interactive ? { interactive: true } : {}),
    ...(args.privateUsers ? { privateUsers: true } : {}),
    insecure: globals.insecure,
  })).finally(progress.stop);
  printWarnings('run', prepared.warnings);
  if (globals.debug) process.stderr.write(`run: pod ${prepared.uuid} prepared; starting stage1 ${prepared.helper}\n`);
  launchPreparedRun(prepared);
}

/** `rkt prepare`: run's image, app, volume and environment flags; prints the pod's UUID. */
export async function prepareCommand(argv: string[], programGlobals: RawGlobalOptions): Promise<void> {
  const args = parseRunArgs(argv);
  if (args.help) {
    process.stdout.write(PREPARE_HELP);
    return;
  }
  const globals = resolveGlobalOptions(mergeRawOptions(programGlobals, args.global));
  requireRoot('prepare');
  // rkt's prepare has no networking or terminal flags: run-prepared takes those. --port it took: the
  // forwards are kept in the pod spec and set up by run-prepared.
  const networkFlags = [
    ['--net', args.net.length > 0], ['--dns', args.dns.length > 0], ['--dns-search', args.dnsSearch.length > 0],
    ['--dns-opt', args.dnsOpt.length > 0], ['--dns-domain', args.dnsDomain !== undefined], ['--hosts-entry', args.hostsEntries.length > 0],
    ['--hostname', args.hostname !== undefined], ['--interactive', args.interactive !== undefined],
    ['--private-users', args.privateUsers !== undefined],
  ] as const;
  for (const [flag, given] of networkFlags) {
    if (given) throw new RktError('usage', 'ERR_RUN_ARGS', `${flag} is a flag of run-prepared, not of prepare`, { hint: `rkt run-prepared ${flag}... UUID` });
  }
  const progress = await startFetchProgress();
  const { uuid, warnings } = await podRequest(args, globals, progress.update)
    .then(preparePodForLater)
    .finally(progress.stop);
  printWarnings('prepare', warnings);
  if (!args.quiet) process.stderr.write(`prepare: pod ${uuid} is prepared; start it with rkt run-prepared ${uuid}\n`);
  process.stdout.write(`${uuid}\n`);
}

export const PREPARE_HELP = `Prepare a pod to run later with rkt run-prepared.

Usage:
  rkt prepare [flags] IMAGE [image flags] [-- image-args... [---]] [IMAGE ...]

Takes rkt run's image flags, --set-env, --set-env-file, --inherit-env, --volume, --port,
--pull-policy, --pod-manifest and --uuid-file-save (see \`rkt run --help\`), plus:
  --quiet                 print only the pod's UUID (nothing on stderr)

The pod's UUID is printed on stdout; the pod is left in the "prepared" state. Ports given with
--port are checked against the images now and forwarded when run-prepared starts the pod
(which must then be on a CNI network).
`;
