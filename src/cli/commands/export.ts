/** `rkt export`: an exited pod's app, with its changes, as an ACI. */
import type { Command } from 'commander';
import { exportPod } from '../../stage0/export-pod.js';
import { addGlobalOptions } from '../global-options.js';
import { requireRoot } from '../require-root.js';
import { globalsOf } from './command-context.js';

export function registerExport(program: Command): void {
  addGlobalOptions(
    program
      .command('export')
      .description("Export an exited pod's app, with its changes, as an ACI")
      .argument('<uuid>', 'pod UUID or unique prefix')
      .argument('<file>', 'output ACI file')
      .option('--app <name>', 'the app (needed when the pod has more than one)')
      .option('--overwrite', 'replace FILE if it exists'),
    true,
  ).action(async (uuid: string, file: string, options: { app?: string; overwrite?: boolean }, command: Command) => {
    requireRoot('export');
    await exportPod({ dataDir: globalsOf(command).dir, uuid, outputPath: file, overwrite: options.overwrite ?? false, ...(options.app === undefined ? {} : { app: options.app }) });
  });
}
