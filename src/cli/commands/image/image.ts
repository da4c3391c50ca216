/** `rkt image …`: the image store's commands. */
import type { Command } from 'commander';
import { addGlobalOptions } from '../../global-options.js';
import { registerImageInspect } from './image-inspect.js';
import { registerImageList } from './image-list.js';
import { registerImageOutput } from './image-output.js';
import { registerImageRemove } from './image-remove.js';

export function registerImage(program: Command): Command {
  const image = addGlobalOptions(program.command('image').description('Operate on image(s) in the local store'), true);
  registerImageList(image);
  registerImageRemove(image);
  registerImageInspect(image);
  registerImageOutput(image);
  return image;
}
