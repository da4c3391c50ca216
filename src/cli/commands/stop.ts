/** `rkt stop`: stop running pods; prints `"<uuid>"` for each pod stopped. */
import type { Command } from 'commander';
import { DEFAULT_STOP_TIMEOUT_MS, stopPod } from '../../stage0/stop-pods.js';
import { addGlobalOptions } from '../global-options.js';
import { parseDuration } from '../parse-duration.js';
import { podUuidsFrom } from '../read-uuid-arg.js';
import { reportError } from '../report-error.js';
import { requireRoot } from '../require-root.js';
import { globalsOf } from './command-context.js';

interface StopOptions {
  force?: boolean;
  uuidFile?: string;
  timeout?: string;
}

export function registerStop(program: Command): void {
  addGlobalOptions(
    program
      .command('stop')
      .description('Stop running pods')
      .argument('[uuid...]', 'pod UUIDs or unique prefixes')
      .option('--force', 'kill the pod at once (SIGKILL) instead of asking it to stop (SIGTERM)')
      .option('--uuid-file <file>', 'read the pod UUID from a file')
      .option('--timeout <duration>', 'how long SIGTERM has before SIGKILL follows (an rkt-ts extension)', `${DEFAULT_STOP_TIMEOUT_MS / 1000}s`),
    true,
  ).action(async (uuids: string[], options: StopOptions, command: Command) => {
    requireRoot('stop');
    const globals = globalsOf(command);
    const timeoutMs = parseDuration(options.timeout ?? '10s', '--timeout');
    let list: string[];
    try {
      list = podUuidsFrom(uuids, options.uuidFile);
    } catch (error) {
      // rkt: an unreadable --uuid-file is exit 1.
      reportError('stop', error, globals.debug);
      process.exitCode = (error as { code?: string }).code === 'ERR_UUID_FILE_UNREADABLE' ? 1 : 254;
      return;
    }
    for (const uuid of list) {
      try {
        const result = await stopPod({ dataDir: globals.dir, uuid, force: options.force ?? false, timeoutMs });
        if (result.outcome === 'not-running') process.stderr.write(`stop: pod "${result.uuid}" is not running\n`);
        else process.stdout.write(`"${result.uuid}"\n`);
      } catch (error) {
        reportError('stop', error, globals.debug);
        process.exitCode = 254;
      }
    }
  });
}
