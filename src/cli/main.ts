#!/usr/bin/env node
/**
 * The rkt command line. The only code that prints for the user or decides exit statuses:
 * 0 for success, the app's status for `run`, 2 for a missing subcommand, 254 for rkt's failures.
 */
import { Command, CommanderError } from 'commander';
import { addGlobalOptions, GLOBAL_VALUE_FLAGS, type RawGlobalOptions } from './global-options.js';
import { reportError } from './report-error.js';
import { RUN_HELP } from './run-args.js';
import { registerCatManifest } from './commands/cat-manifest.js';
import { registerConfig } from './commands/config.js';
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

const EXIT_RKT_FAILURE = 254;
const EXIT_NO_COMMAND = 2;

/** commander's own parse errors read like rkt's: `<command>: <problem>`, then where help is. */
function configureErrors(command: Command, name: string): void {
  command.configureOutput({
    outputError: (text, write) => write(`${name}: ${text.replace(/^error: /, '')}  hint: see \`rkt ${name === 'rkt' ? '' : `${name} `}--help\`\n`),
  });
}

function buildProgram(): Command {
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

/** Index of the subcommand: the first word that is not a global flag or a global flag's value. */
function subcommandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('-')) return i;
    if (token.startsWith('--') && !token.includes('=') && token.slice(2) in GLOBAL_VALUE_FLAGS) i++;
  }
  return -1;
}

/** cobra's prefix matching, as rkt had it: `rkt ver` is `rkt version` when no other command fits. */
function expandPrefix(program: Command, word: string): string {
  const names = program.commands.map((command) => command.name()).concat('help');
  if (names.includes(word)) return word;
  const matches = names.filter((name) => name.startsWith(word));
  return matches.length === 1 ? matches[0]! : word;
}

/**
 * rkt's (pflag's) optional flag values are only ever attached with `=`: `--wait UUID` means "wait"
 * and a UUID. commander would take the UUID as the value, so a bare flag becomes `--flag=true`.
 */
const OPTIONAL_VALUE_FLAGS = new Set(['--wait', '--pretty-print']);

function attachOptionalValues(argv: readonly string[]): string[] {
  return argv.map((arg) => (OPTIONAL_VALUE_FLAGS.has(arg) ? `${arg}=true` : arg));
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const index = subcommandIndex(argv);
  if (index < 0) {
    if (argv.some((arg) => arg === '--help' || arg === '-h' || arg === '--version')) {
      return runCommander(program, argv);
    }
    process.stderr.write(program.helpInformation());
    return EXIT_NO_COMMAND;
  }
  const subcommand = expandPrefix(program, argv[index]!);
  const rest = argv.slice(index + 1);
  if (subcommand === 'run' || subcommand === 'prepare' || (subcommand === 'help' && (rest[0] === 'run' || rest[0] === 'prepare'))) {
    const { runCommand, prepareCommand, PREPARE_HELP } = await import('./commands/run.js');
    if (subcommand === 'help') {
      process.stdout.write(rest[0] === 'run' ? RUN_HELP : PREPARE_HELP);
      return 0;
    }
    // Global flags before `run` are part of the run grammar too.
    await (subcommand === 'run' ? runCommand : prepareCommand)([...argv.slice(0, index), ...rest], {} as RawGlobalOptions);
    return 0;
  }
  return runCommander(program, attachOptionalValues([...argv.slice(0, index), subcommand, ...rest]));
}

async function runCommander(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; for the user they are success.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return EXIT_RKT_FAILURE;
    }
    throw error;
  }
}

/** The command name errors are prefixed with: the subcommand as rkt knows it, not as typed. */
function commandNameFor(argv: readonly string[]): string {
  const index = subcommandIndex(argv);
  return index < 0 ? '' : expandPrefix(buildProgram(), argv[index]!);
}

const argv = process.argv.slice(2);
main(argv).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    reportError(commandNameFor(argv), error, argv.includes('--debug') || argv.includes('--debug=true'));
    process.exitCode = EXIT_RKT_FAILURE;
  },
);
