/** `rkt list`: the pods, one row per app (rkt's columns), or JSON. */
import type { Command } from 'commander';
import { listPods, type PodStatus } from '../../stage0/pod-status.js';
import { parseOutputFormat, renderJson } from '../render/output-format.js';
import { renderTable } from '../render/table.js';
import { formatAgo, formatRktTime } from '../render/time.js';
import { addGlobalOptions } from '../global-options.js';
import { globalsOf } from './command-context.js';
import { networksText, podJson } from './pod-json.js';

interface ListOptions {
  full?: boolean;
  legend: boolean;
  format?: string;
}

function rows(pods: PodStatus[], full: boolean): string[][] {
  const now = new Date();
  const when = (date: Date | undefined) => (date === undefined ? '-' : full ? formatRktTime(date) : formatAgo(date, now));
  return pods.flatMap((pod) => {
    const apps = pod.apps.length > 0 ? pod.apps : [{ name: '-', imageName: '-', imageId: '-' }];
    return apps.map((app) => [
      full ? pod.uuid : pod.uuid.slice(0, 8),
      app.name,
      app.imageName,
      ...(full ? [app.imageId] : []),
      pod.state,
      when(pod.created),
      when(pod.started),
      networksText(pod),
    ]);
  });
}

export function registerList(program: Command): void {
  addGlobalOptions(
    program
      .command('list')
      .description('List pods')
      .option('--full', 'use long output format (full UUIDs, image IDs, absolute times)')
      .option('--no-legend', 'suppress the table header')
      .option('--format <format>', 'choose the output format: json, json-pretty'),
    true,
  ).action((options: ListOptions, command: Command) => {
    const globals = globalsOf(command);
    const format = parseOutputFormat(options.format);
    const pods = listPods(globals.dir);
    if (format !== 'table') {
      process.stdout.write(renderJson(pods.map(podJson), format));
      return;
    }
    const full = options.full ?? false;
    const header = ['UUID', 'APP', 'IMAGE NAME', ...(full ? ['IMAGE ID'] : []), 'STATE', 'CREATED', 'STARTED', 'NETWORKS'];
    process.stdout.write(renderTable(header, rows(pods, full), options.legend));
  });
}
