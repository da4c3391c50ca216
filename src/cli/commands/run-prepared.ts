/** `rkt run-prepared UUID`: starts a prepared pod; like run, this process becomes the pod. */
import type { Command } from 'commander';
import { launchPreparedRun, prepareRunPrepared } from '../../stage0/run-pod.js';
import { addGlobalOptions } from '../global-options.js';
import { requireRoot } from '../require-root.js';
import { globalsOf } from './command-context.js';
import { parseNet } from './run.js';

interface RunPreparedOptions {
  net?: string[];
  hostname?: string;
  interactive?: boolean;
}

export function registerRunPrepared(program: Command): void {
  addGlobalOptions(
    program
      .command('run-prepared')
      .description('Run a prepared pod')
      .argument('<uuid>', 'pod UUID or unique prefix')
      .option('--net <net>', 'host or none (default none)', (value: string, previous: string[] = []) => [...previous, value])
      .option('--hostname <name>', "the pod's host name (default rkt-<uuid>)")
      .option('--interactive', 'give the app the terminal (single-app pods only)'),
    true,
  ).action((uuid: string, options: RunPreparedOptions, command: Command) => {
    requireRoot('run-prepared');
    const globals = globalsOf(command);
    const prepared = prepareRunPrepared({
      dataDir: globals.dir,
      uuid,
      net: parseNet(options.net ?? []),
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      ...(options.interactive ? { interactive: true } : {}),
      insecure: globals.insecure,
    });
    if (globals.debug) process.stderr.write(`run-prepared: starting pod ${prepared.uuid} with ${prepared.helper}\n`);
    launchPreparedRun(prepared);
  });
}
