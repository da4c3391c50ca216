/** `rkt cat-manifest`: the pod's appc pod manifest. */
import type { Command } from 'commander';
import { podManifest } from '../../stage0/pod-status.js';
import { addGlobalOptions } from '../global-options.js';
import { podUuidsFrom } from '../read-uuid-arg.js';
import { globalsOf } from './command-context.js';

export function registerCatManifest(program: Command): void {
  addGlobalOptions(
    program
      .command('cat-manifest')
      .description('Inspect and print the pod manifest')
      .argument('[uuid...]', 'pod UUIDs or unique prefixes')
      .option('--pretty-print [bool]', 'apply indent to format the output (default true)')
      .option('--uuid-file <file>', 'read the pod UUID from a file'),
    true,
  ).action((uuids: string[], options: { prettyPrint?: string | boolean; uuidFile?: string }, command: Command) => {
    const globals = globalsOf(command);
    const pretty = options.prettyPrint !== false && options.prettyPrint !== 'false';
    for (const uuid of podUuidsFrom(uuids, options.uuidFile)) {
      const manifest = podManifest(globals.dir, uuid);
      process.stdout.write((pretty ? JSON.stringify(manifest, null, '\t') : JSON.stringify(manifest)) + '\n');
    }
  });
}
