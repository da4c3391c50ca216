/** `rkt gc`: mark exited pods as garbage and delete garbage older than the grace period. */
import type { Command } from 'commander';
import { gcPods } from '../../stage0/gc-pods.js';
import { addGlobalOptions } from '../global-options.js';
import { parseDuration } from '../parse-duration.js';
import { requireRoot } from '../require-root.js';
import { globalsOf } from './command-context.js';

interface GcOptions {
  gracePeriod: string;
  expirePrepared: string;
  markOnly?: boolean;
}

export function registerGc(program: Command): void {
  addGlobalOptions(
    program
      .command('gc')
      .description('Garbage collect rkt pods no longer in use')
      .option('--grace-period <duration>', 'duration to wait before discarding inactive pods from garbage', '30m')
      .option('--expire-prepared <duration>', 'duration to wait before expiring prepared pods', '24h')
      .option('--mark-only', 'only move inactive pods to the garbage directory, without deleting them'),
    true,
  ).action((options: GcOptions, command: Command) => {
    requireRoot('gc');
    const globals = globalsOf(command);
    const events = gcPods({
      dataDir: globals.dir,
      gracePeriodMs: parseDuration(options.gracePeriod, '--grace-period'),
      expirePreparedMs: parseDuration(options.expirePrepared, '--expire-prepared'),
      markOnly: options.markOnly ?? false,
    });
    for (const event of events) {
      switch (event.kind) {
        case 'marked':
          process.stderr.write(`gc: moving pod "${event.uuid}" (${event.from}) to garbage\n`);
          break;
        case 'expired':
          process.stderr.write(`gc: moving expired prepared pod "${event.uuid}" to garbage\n`);
          break;
        case 'deleted':
          process.stdout.write(`Garbage collecting pod "${event.uuid}"\n`);
          break;
        case 'failed':
          process.stderr.write(`gc: pod "${event.uuid}": ${event.message}\n`);
          process.exitCode = 254;
          break;
      }
    }
  });
}
