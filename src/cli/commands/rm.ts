/** `rkt rm`: delete exited or prepared pods now; each failure is reported and the rest go on. */
import type { Command } from 'commander';
import { removePod } from '../../stage0/remove-pods.js';
import { addGlobalOptions } from '../global-options.js';
import { podUuidsFrom } from '../read-uuid-arg.js';
import { reportError } from '../report-error.js';
import { requireRoot } from '../require-root.js';
import { globalsOf } from './command-context.js';

export function registerRm(program: Command): void {
  addGlobalOptions(
    program
      .command('rm')
      .description('Remove all files and resources associated with exited pods')
      .argument('[uuid...]', 'pod UUIDs or unique prefixes')
      .option('--uuid-file <file>', 'read the pod UUID from a file'),
    true,
  ).action((uuids: string[], options: { uuidFile?: string }, command: Command) => {
    requireRoot('rm');
    const globals = globalsOf(command);
    for (const uuid of podUuidsFrom(uuids, options.uuidFile)) {
      try {
        process.stdout.write(`"${removePod(globals.dir, uuid)}"\n`);
      } catch (error) {
        reportError('rm', error, globals.debug);
        process.exitCode = 254;
      }
    }
  });
}
