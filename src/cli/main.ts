#!/usr/bin/env node
/**
 * The rkt command line. The only code that prints for the user or decides exit statuses:
 * 0 for success, the app's status for `run`, 2 for a missing subcommand, 254 for rkt's failures.
 */
import type { Command } from 'commander';
import { GLOBAL_VALUE_FLAGS, type RawGlobalOptions } from './global-options.js';
import { reportError } from './report-error.js';
import { RUN_HELP } from './run-args.js';

const EXIT_RKT_FAILURE = 254;
const EXIT_NO_COMMAND = 2;

/**
 * The commander tree (every command but run and prepare, with their modules) is loaded only for the
 * commands that need it: `rkt run` parses its own grammar and skips it, which saves building the
 * tree and loading the other commands' code at every pod start. The bundle splits at dynamic
 * imports (scripts/bundle.mjs), so what a command does not import is not even read.
 */
async function buildProgram(): Promise<Command> {
  return (await import('./program.js')).buildProgram();
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
  const index = subcommandIndex(argv);
  // The hot path: `run`/`prepare` spelled out in full need no command tree (a prefix such as `prep` does, below).
  if (index >= 0 && (argv[index] === 'run' || argv[index] === 'prepare')) return runOwnGrammar(argv[index]!, argv, index);
  const program = await buildProgram();
  if (index < 0) {
    if (argv.some((arg) => arg === '--help' || arg === '-h' || arg === '--version')) {
      return runCommander(program, argv);
    }
    process.stderr.write(program.helpInformation());
    return EXIT_NO_COMMAND;
  }
  const subcommand = expandPrefix(program, argv[index]!);
  const rest = argv.slice(index + 1);
  if (argv[index] === 'oci') {
    // `rkt oci …` is `rkt-oci …`: runc's command line and flags, not rkt's
    const { runOci } = await import('./oci/oci-main.js');
    return runOci(rest);
  }
  if (subcommand === 'run' || subcommand === 'prepare' || (subcommand === 'help' && (rest[0] === 'run' || rest[0] === 'prepare'))) {
    return runOwnGrammar(subcommand, argv, index);
  }
  return runCommander(program, attachOptionalValues([...argv.slice(0, index), subcommand, ...rest]));
}

/** `run`, `prepare` and `help run|prepare`, which have their own grammar (per-app flags after each image). */
async function runOwnGrammar(subcommand: string, argv: readonly string[], index: number): Promise<number> {
  const rest = argv.slice(index + 1);
  const { runCommand, prepareCommand, PREPARE_HELP } = await import('./commands/run.js');
  if (subcommand === 'help') {
    process.stdout.write(rest[0] === 'run' ? RUN_HELP : PREPARE_HELP);
    return 0;
  }
  // Global flags before `run` are part of the run grammar too.
  await (subcommand === 'run' ? runCommand : prepareCommand)([...argv.slice(0, index), ...rest], {} as RawGlobalOptions);
  return 0;
}

async function runCommander(program: Command, argv: string[]): Promise<number> {
  const { CommanderError } = await import('commander');
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
async function commandNameFor(argv: readonly string[]): Promise<string> {
  const index = subcommandIndex(argv);
  if (index < 0) return '';
  if (argv[index] === 'run' || argv[index] === 'prepare') return argv[index]!;
  return expandPrefix(await buildProgram(), argv[index]!);
}

const argv = process.argv.slice(2);
main(argv).then(
  (status) => {
    process.exitCode = status;
  },
  async (error: unknown) => {
    process.exitCode = EXIT_RKT_FAILURE;
    reportError(await commandNameFor(argv).catch(() => ''), error, argv.includes('--debug') || argv.includes('--debug=true'));
  },
);
