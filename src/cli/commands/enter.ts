/** `rkt enter [--app=NAME] UUID [CMD [ARGS...]]`: a command inside a running app, with its isolation. */
import type { Command } from 'commander';
import { DEFAULT_ENTER_COMMAND, launchEnter, prepareEnter } from '../../stage0/enter-pod.js';
import { addGlobalOptions } from '../global-options.js';
import { requireRoot } from '../require-root.js';
import { globalsOf } from './command-context.js';

interface EnterOptions {
  app?: string;
}

export function registerEnter(program: Command): void {
  addGlobalOptions(
    program
      .command('enter')
      .description('Run a command inside a running app, with the isolation the app has; exits with its status')
      .argument('<uuid>', 'pod UUID or unique prefix')
      .argument('[command...]', `the command and its arguments (default: ${DEFAULT_ENTER_COMMAND})`)
      .option('--app <name>', 'the app (needed when the pod has more than one)')
      // flags after the UUID belong to the command (`rkt enter UUID /bin/sh -c ...`)
      .passThroughOptions(),
    true,
  ).action(async (uuid: string, command: string[], options: EnterOptions, cmd: Command) => {
    requireRoot('enter');
    const globals = globalsOf(cmd);
    const prepared = await prepareEnter({ dataDir: globals.dir, uuid, command, ...(options.app === undefined ? {} : { app: options.app }) });
    if (command.length === 0) process.stderr.write(`enter: no command specified, assuming ${DEFAULT_ENTER_COMMAND}\n`);
    if (globals.debug) process.stderr.write(`enter: pod ${prepared.uuid}, app ${prepared.app}, helper ${prepared.helper}\n`);
    launchEnter(prepared);
  });
}
