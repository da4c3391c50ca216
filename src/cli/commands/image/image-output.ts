/** `rkt image extract`, `rkt image render` (need root) and `rkt image export`. */
import type { Command } from 'commander';
import { exportImage } from '../../../stage0/export-image.js';
import { renderImage } from '../../../stage0/render-image.js';
import { addGlobalOptions } from '../../global-options.js';
import { requireRoot } from '../../require-root.js';
import { globalsOf } from '../command-context.js';

function registerRender(image: Command, name: 'extract' | 'render', description: string): void {
  addGlobalOptions(
    image
      .command(name)
      .description(description)
      .argument('<image>', 'image ID or name')
      .argument('<dir>', 'output directory (must not exist or be empty)')
      .option('--rootfs-only', 'write only the root filesystem into DIR (no manifest and config beside it)')
      .option('--overwrite', 'replace DIR if it exists'),
    true,
  ).action(async (argument: string, dir: string, options: { rootfsOnly?: boolean; overwrite?: boolean }, command: Command) => {
    requireRoot(`image ${name}`);
    await renderImage({ dataDir: globalsOf(command).dir, image: argument, outputDir: dir, rootfsOnly: options.rootfsOnly ?? false, overwrite: options.overwrite ?? false, withDependencies: name === 'render' });
  });
}

export function registerImageOutput(image: Command): void {
  registerRender(image, 'extract', 'Extract a stored image to a directory: DIR/manifest, DIR/config.json and DIR/rootfs');
  registerRender(image, 'render', 'Render a stored image to a directory as a pod would see it (for OCI images, the same as extract)');
  addGlobalOptions(
    image
      .command('export')
      .description('Export a stored image to an OCI archive (a tar of an OCI image layout)')
      .argument('<image>', 'image ID or name')
      .argument('<file>', 'output file')
      .option('--overwrite', 'replace FILE if it exists'),
    true,
  ).action(async (argument: string, file: string, options: { overwrite?: boolean }, command: Command) => {
    await exportImage({ dataDir: globalsOf(command).dir, image: argument, outputPath: file, overwrite: options.overwrite ?? false });
  });
}
