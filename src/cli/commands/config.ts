/** `rkt config`: the merged stage0 configuration as rkt printed it. */
import type { Command } from 'commander';
import { describeRktConfig, loadRktConfig } from '../../stage0/rkt-config.js';
import { addGlobalOptions } from '../global-options.js';
import { globalsOf } from './command-context.js';

export function registerConfig(program: Command): void {
  addGlobalOptions(
    program
      .command('config')
      .description('Print configuration for each stage in JSON format')
      .option('--pretty-print [bool]', 'apply indent to format the output (default true)'),
    true,
  ).action((options: { prettyPrint?: string | boolean }, command: Command) => {
    const globals = globalsOf(command);
    const config = loadRktConfig({ system: globals.systemConfig, local: globals.localConfig, ...(globals.userConfig ? { user: globals.userConfig } : {}) });
    const described = describeRktConfig(config);
    const pretty = options.prettyPrint !== false && options.prettyPrint !== 'false';
    process.stdout.write((pretty ? JSON.stringify(described, null, '\t') : JSON.stringify(described)) + '\n');
  });
}
