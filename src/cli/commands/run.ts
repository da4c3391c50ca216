/**
 * `rkt run`: prepares the pod in Node, then becomes the stage1 helper (execve), so the caller's
 * process is the pod's supervisor and the pod's exit status is rkt's.
 */
import { RktError } from '../../errors/rkt-error.js';
import { parsePullPolicy } from '../../stage0/fetch-image.js';
import { registryAccess } from '../../stage0/registry-access.js';
import { launchPreparedRun, prepareRun, type NetMode } from '../../stage0/run-pod.js';
import { startFetchProgress } from '../render/fetch-progress.js';
import { mergeRawOptions, resolveGlobalOptions, type RawGlobalOptions } from '../global-options.js';
import { requireRoot } from '../require-root.js';
import { parseRunArgs, RUN_HELP } from '../run-args.js';

function parseNet(values: string[]): NetMode {
  const last = values.at(-1) ?? 'none';
  if (values.some((value) => value !== last)) {
    throw new RktError('usage', 'ERR_NET_UNSUPPORTED', `--net: only one of host or none can be given (got ${values.join(', ')})`);
  }
  if (last === 'host' || last === 'none') return last;
  throw new RktError('usage', 'ERR_NET_UNSUPPORTED', `--net=${last}: CNI networks are not supported yet`, {
    hint: 'use --net=host (the host network) or --net=none (loopback only)',
  });
}

export async function runCommand(argv: string[], programGlobals: RawGlobalOptions): Promise<void> {
  const args = parseRunArgs(argv);
  if (args.help) {
    process.stdout.write(RUN_HELP);
    return;
  }
  const globals = resolveGlobalOptions(mergeRawOptions(programGlobals, args.global));
  requireRoot('run');
  const pullPolicy = parsePullPolicy(args.pullPolicy ?? 'new');
  const progress = startFetchProgress();
  const prepared = await prepareRun({
    pullPolicy,
    onProgress: progress.update,
    registry: registryAccess(globals.insecure, { system: globals.systemConfig, local: globals.localConfig, ...(globals.userConfig ? { user: globals.userConfig } : {}) }),
    dataDir: globals.dir,
    apps: args.apps,
    net: parseNet(args.net),
    ...(args.hostname === undefined ? {} : { hostname: args.hostname }),
    setEnv: args.setEnv,
    ...(args.uuidFileSave === undefined ? {} : { uuidFileSave: args.uuidFileSave }),
    allowUnsigned: globals.insecure.has('image'),
  }).finally(progress.stop);
  if (globals.debug) process.stderr.write(`run: pod ${prepared.uuid} prepared; starting stage1 ${prepared.helper}\n`);
  launchPreparedRun(prepared);
}
