/** `rkt image rm` and `rkt image gc`: remove images, then what no image needs any more. */
import type { Command } from 'commander';
import type { ImageGcResult } from '../../../stage0/gc-images.js';
import { gcImages, removeImages } from '../../../stage0/gc-images.js';
import { formatImageId } from '../../../stage0/resolve-stored-image.js';
import { addGlobalOptions } from '../../global-options.js';
import { parseDuration } from '../../parse-duration.js';
import { globalsOf } from '../command-context.js';

function report(result: ImageGcResult, command: string): number {
  let removed = 0;
  for (const removal of result.removals) {
    switch (removal.kind) {
      case 'removed':
        removed++;
        process.stdout.write(`successfully removed image: "${formatImageId(removal.image.id, true)}" (${removal.image.name})\n`);
        break;
      case 'kept':
        process.stderr.write(`${command}: keeping image "${formatImageId(removal.image.id, true)}": ${removal.reason}\n`);
        break;
      case 'failed':
        process.stderr.write(`${command}: ${removal.error.message}\n`);
        if (removal.error.hint) process.stderr.write(`  hint: ${removal.error.hint}\n`);
        process.exitCode = 254;
        break;
    }
  }
  return removed;
}

export function registerImageRemove(image: Command): void {
  addGlobalOptions(
    image
      .command('rm')
      .description('Remove one or more images with the given IDs or names from the local store')
      .argument('<image...>', 'image IDs (sha256-…, a unique prefix will do) or names'),
    true,
  ).action(async (images: string[], _options: unknown, command: Command) => {
    const result = await removeImages(globalsOf(command).dir, images);
    const removed = report(result, 'image rm');
    process.stdout.write(`${removed} image(s) successfully removed\n`);
  });

  addGlobalOptions(
    image
      .command('gc')
      .description('Garbage collect images not used by any pod and not used within the grace period, and what no image needs')
      .option('--grace-period <duration>', 'how long an image may go unused before it is removed', '24h'),
    true,
  ).action(async (options: { gracePeriod: string }, command: Command) => {
    const result = await gcImages(globalsOf(command).dir, parseDuration(options.gracePeriod, '--grace-period'));
    report(result, 'image gc');
    const { blobs, layers, leftovers } = result.sweep;
    for (const layer of layers) process.stdout.write(`removed extracted layer: "${layer}"\n`);
    process.stdout.write(`${blobs.length} blob(s), ${layers.length} layer(s) and ${leftovers} leftover(s) removed\n`);
  });
}
