/** What every subcommand needs from the command line around it. */
import type { Command } from 'commander';
import { mergeRawOptions, resolveGlobalOptions, type GlobalOptions, type RawGlobalOptions } from '../global-options.js';

/** Global flags given before the subcommand, then after it (the later wins). */
export function globalsOf(command: Command): GlobalOptions {
  const before = (command.parent?.opts() ?? {}) as RawGlobalOptions;
  const after = command.opts() as RawGlobalOptions;
  const pick = ({ dir, systemConfig, localConfig, userConfig, debug, insecureOptions, trustKeysFromHttps }: RawGlobalOptions): RawGlobalOptions => ({
    dir, systemConfig, localConfig, userConfig, debug, insecureOptions, trustKeysFromHttps,
  });
  return resolveGlobalOptions(mergeRawOptions(pick(before), pick(after)));
}
