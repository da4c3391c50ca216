/**
 * `rkt run`: prepares the pod in Node, then becomes the stage1 helper (execve), so the caller's
 * process is the pod's supervisor and the pod's exit status is rkt's.
 */
import { parseNetFlags } from '../../net/net-flags.js';
import { launchPreparedRun, prepareRun } from '../../stage0/run-pod.js';
import { mergeRawOptions, resolveGlobalOptions, type RawGlobalOptions } from '../global-options.js';
import { requireRoot } from '../require-root.js';
import { parseRunArgs, RUN_HELP } from '../run-args.js';

export async function runCommand(argv: string[], programGlobals: RawGlobalOptions): Promise<void> {
  const args = parseRunArgs(argv);
  if (args.help) {
    process.stdout.write(RUN_HELP);
    return;
  }
  const globals = resolveGlobalOptions(mergeRawOptions(programGlobals, args.global));
  requireRoot('run');
  const prepared = await prepareRun({
    dataDir: globals.dir,
    localConfig: globals.localConfig,
    apps: args.apps,
    net: parseNetFlags(args.net),
    ports: args.ports,
    dns: { servers: args.dns, search: args.dnsSearch, options: args.dnsOpt, ...(args.dnsDomain === undefined ? {} : { domain: args.dnsDomain }) },
    hostsEntries: args.hostsEntries,
    ...(args.hostname === undefined ? {} : { hostname: args.hostname }),
    setEnv: args.setEnv,
    ...(args.uuidFileSave === undefined ? {} : { uuidFileSave: args.uuidFileSave }),
    allowUnsigned: globals.insecure.has('image'),
  });
  if (globals.debug) process.stderr.write(`run: pod ${prepared.uuid} prepared; starting stage1 ${prepared.helper}\n`);
  launchPreparedRun(prepared);
}
