/** `rkt image cat-manifest` and `rkt image verify`. */
import type { Command } from 'commander';
import { imageManifest, verifyImages } from '../../../stage0/inspect-images.js';
import { formatImageId } from '../../../stage0/resolve-stored-image.js';
import { addGlobalOptions } from '../../global-options.js';
import { globalsOf } from '../command-context.js';

export function registerImageInspect(image: Command): void {
  addGlobalOptions(
    image
      .command('cat-manifest')
      .description("Inspect and print the image's manifest")
      .argument('<image>', 'image ID or name')
      .option('--pretty-print [bool]', 'apply indent to format the output (default true)'),
    true,
  ).action(async (argument: string, options: { prettyPrint?: string | boolean }, command: Command) => {
    const bytes = await imageManifest(globalsOf(command).dir, argument);
    const pretty = options.prettyPrint !== false && options.prettyPrint !== 'false';
    process.stdout.write(pretty ? `${JSON.stringify(JSON.parse(bytes.toString('utf8')), null, '\t')}\n` : `${bytes.toString('utf8')}\n`);
  });

  addGlobalOptions(
    image
      .command('verify')
      .description('Verify stored images: re-hash every blob, and check extracted layer trees against their seals')
      .argument('<image...>', 'image IDs or names'),
    true,
  ).action(async (images: string[], _options: unknown, command: Command) => {
    for (const result of await verifyImages(globalsOf(command).dir, images)) {
      const id = formatImageId(result.image.id, true);
      if (result.problems.length === 0) {
        process.stdout.write(`successfully verified image "${id}": ${result.blobsChecked} blob(s) match their digests; ${result.layersExtracted} of ${result.layersTotal} layer(s) extracted\n`);
        continue;
      }
      for (const problem of result.problems) process.stderr.write(`image verify: image "${id}": ${problem}\n`);
      process.exitCode = 254;
    }
  });
}
