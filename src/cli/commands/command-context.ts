/** What every subcommand needs from the command line around it. */
import type { Command } from 'commander';
import { mergeRawOptions, resolveGlobalOptions, type GlobalOptions, type RawGlobalOptions } from '../global-options.js';

/** Global flags given before the subcommand (and before `image`), then after it (the later wins). */
export function globalsOf(command: Command): GlobalOptions {
  const ancestors: Command[] = [];
  for (let parent = command.parent; parent; parent = parent.parent) ancestors.unshift(parent);
  const before = mergeRawOptions(...ancestors.map((c) => pick(c.opts() as RawGlobalOptions)));
  const after = command.opts() as RawGlobalOptions;
  return resolveGlobalOptions(mergeRawOptions(pick(before), pick(after)));
}

function pick({ dir, systemConfig, localConfig, userConfig, debug, insecureOptions, trustKeysFromHttps }: RawGlobalOptions): RawGlobalOptions {
  return { dir, systemConfig, localConfig, userConfig, debug, insecureOptions, trustKeysFromHttps };
}
