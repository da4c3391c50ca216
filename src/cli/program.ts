/**
 * The commander tree of every command but `run` and `prepare` (which main.ts parses itself): loaded
 * by main.ts only for the commands that use it, so that `rkt run` does not build it.
 */
import { Command } from 'commander';
import { addGlobalOptions } from './global-options.js';
import { registerCatManifest } from './commands/cat-manifest.js';
import { registerConfig } from './commands/config.js';
import { registerExport } from './commands/export.js';
import { registerFetch } from './commands/fetch.js';
import { registerEnter } from './commands/enter.js';
import { registerGc } from './commands/gc.js';
import { registerImage } from './commands/image/image.js';
import { registerList } from './commands/list.js';
import { registerLogs } from './commands/logs.js';
import { registerRunPrepared } from './commands/run-prepared.js';
import { registerStop } from './commands/stop.js';
import { registerRm } from './commands/rm.js';
import { registerStatus } from './commands/status.js';
import { registerTrust } from './commands/trust.js';
import { registerVersion, rktVersion } from './commands/version.js';

/** commander's own parse errors read like rkt's: `<command>: <problem>`, then where help is. */
function configureErrors(command: Command, name: string): void {
  command.configureOutput({
    outputError: (text, write) => write(`${name}: ${text.replace(/^error: /, '')}  hint: see \`rkt ${name === 'rkt' ? '' : `${name} `}--help\`\n`),
  });
}

export function buildProgram(): Command {
  const program = new Command('rkt')
    .description('rkt, the pod-native container engine')
    .version(rktVersion, '--version', 'print the version and exit')
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(true);
  addGlobalOptions(program);
  // `run` has its own grammar (per-app flags after each image); it is listed here for help only.
  program.command('run').description('Run image(s) in a pod').helpOption(false).allowUnknownOption().allowExcessArguments();
  program.command('prepare').description('Prepare a pod to run later').helpOption(false).allowUnknownOption().allowExcessArguments();
  registerRunPrepared(program);
  registerStop(program);
  registerLogs(program);
  registerTrust(program);
  registerFetch(program);
  registerImage(program);
  registerEnter(program);
  registerList(program);
  registerStatus(program);
  registerCatManifest(program);
  registerExport(program);
  registerRm(program);
  registerGc(program);
  registerConfig(program);
  registerVersion(program);
  configureErrors(program, 'rkt');
  for (const command of program.commands) {
    command.exitOverride();
    configureErrors(command, command.name());
    for (const sub of command.commands) {
      sub.exitOverride();
      configureErrors(sub, `${command.name()} ${sub.name()}`);
    }
  }
  return program;
}

