/** `rkt status`: rkt's key=value lines about one pod, or JSON; `--wait` waits for it to exit. */
import type { Command } from 'commander';
import { RktError } from '../../errors/rkt-error.js';
import { isExitedState } from '../../pod/pod-state.js';
import { podStatus, type PodStatus } from '../../stage0/pod-status.js';
import { addGlobalOptions } from '../global-options.js';
import { parseDuration } from '../parse-duration.js';
import { podUuidsFrom } from '../read-uuid-arg.js';
import { parseOutputFormat, renderJson } from '../render/output-format.js';
import { formatRktTime } from '../render/time.js';
import { globalsOf } from './command-context.js';
import { networksText, podJson } from './pod-json.js';

interface StatusOptions {
  wait?: string | boolean;
  format?: string;
  uuidFile?: string;
}

/** `--wait` alone or `=true` waits forever, `=false` not at all, a duration at most that long. */
function parseWait(value: string | boolean | undefined): true | number | undefined {
  if (value === undefined || value === false || value === 'false') return undefined;
  if (value === true || value === 'true') return true;
  return parseDuration(value, '--wait');
}

function statusLines(pod: PodStatus): string {
  const lines = [`state=${pod.state}`];
  if (pod.created) lines.push(`created=${formatRktTime(pod.created)}`);
  if (pod.started) lines.push(`started=${formatRktTime(pod.started)}`);
  const exited = isExitedState(pod.state);
  if (pod.state === 'running' || exited) lines.push(`networks=${networksText(pod)}`);
  if (pod.pid !== undefined) lines.push(`pid=${pod.pid}`);
  lines.push(`exited=${exited}`);
  if (pod.state !== 'running') for (const app of pod.apps) if (app.exitCode !== undefined) lines.push(`app-${app.name}=${app.exitCode}`);
  if (pod.failure) lines.push(`stage1-error=${pod.failure.message}`);
  return lines.join('\n') + '\n';
}

export function registerStatus(program: Command): void {
  addGlobalOptions(
    program
      .command('status')
      .description('Check the status of a rkt pod')
      .argument('[uuid]', 'pod UUID or unique prefix')
      .option('--wait [duration]', 'wait for the pod to exit (true, false or a duration such as 30s)')
      .option('--format <format>', 'choose the output format: json, json-pretty')
      .option('--uuid-file <file>', 'read the pod UUID from a file'),
    true,
  ).action(async (uuid: string | undefined, options: StatusOptions, command: Command) => {
    const globals = globalsOf(command);
    const format = parseOutputFormat(options.format);
    const uuids = podUuidsFrom(uuid === undefined ? [] : [uuid], options.uuidFile);
    if (uuids.length !== 1) throw new RktError('usage', 'ERR_UUID_ARGS', 'exactly one pod UUID is needed');
    const wait = parseWait(options.wait);
    const pod = await podStatus({ dataDir: globals.dir, uuid: uuids[0]!, ...(wait === undefined ? {} : { wait }) });
    process.stdout.write(format === 'table' ? statusLines(pod) : renderJson(podJson(pod), format));
  });
}
