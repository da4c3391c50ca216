/** `rkt logs`: an app's stdout and stderr, kept by stage1 in the pod directory. */
import type { Command } from 'commander';
import { RktError } from '../../errors/rkt-error.js';
import { readPodLogs, type LogStream } from '../../stage0/pod-logs.js';
import { addGlobalOptions } from '../global-options.js';
import { globalsOf } from './command-context.js';

interface LogsOptions {
  app?: string;
  follow?: boolean;
  stream?: string;
}

function parseStreams(value: string | undefined): LogStream[] {
  if (value === undefined || value === 'all') return ['stdout', 'stderr'];
  if (value === 'stdout' || value === 'stderr') return [value];
  throw new RktError('usage', 'ERR_LOGS_STREAM', `--stream: "${value}" is not stdout, stderr or all`);
}

export function registerLogs(program: Command): void {
  addGlobalOptions(
    program
      .command('logs')
      .description("Print an app's output (stdout to stdout, stderr to stderr)")
      .argument('<uuid>', 'pod UUID or unique prefix')
      .option('--app <name>', 'the app (needed when the pod has more than one)')
      .option('--follow', 'keep printing new output until the pod exits')
      .option('--stream <stream>', 'stdout, stderr or all (default all)'),
    true,
  ).action(async (uuid: string, options: LogsOptions, command: Command) => {
    const globals = globalsOf(command);
    await readPodLogs(
      {
        dataDir: globals.dir,
        uuid,
        ...(options.app === undefined ? {} : { app: options.app }),
        streams: parseStreams(options.stream),
        follow: options.follow ?? false,
      },
      (stream, chunk) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk),
    );
  });
}
