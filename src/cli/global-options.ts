/**
 * rkt's global flags (reference §1.2). They may stand before the subcommand or after it, as with
 * rkt's cobra flags; values given after the subcommand win.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { loadRktConfig } from '../stage0/rkt-config.js';
import { parseInsecureOptions, type InsecureOption } from '../stage0/insecure-options.js';

export const DEFAULT_DATA_DIR = '/var/lib/rkt';

export interface GlobalOptions {
  dir: string;
  systemConfig: string;
  localConfig: string;
  userConfig?: string;
  debug: boolean;
  insecure: Set<InsecureOption>;
  trustKeysFromHttps: boolean;
}

export interface RawGlobalOptions {
  dir?: string;
  systemConfig?: string;
  localConfig?: string;
  userConfig?: string;
  debug?: boolean;
  insecureOptions?: string;
  trustKeysFromHttps?: boolean;
}

/** Flags that take a value, by long name; used by the run grammar, which commander does not parse. */
export const GLOBAL_VALUE_FLAGS: Record<string, keyof RawGlobalOptions> = {
  dir: 'dir',
  'system-config': 'systemConfig',
  'local-config': 'localConfig',
  'user-config': 'userConfig',
  'insecure-options': 'insecureOptions',
};
export const GLOBAL_BOOLEAN_FLAGS: Record<string, keyof RawGlobalOptions> = {
  debug: 'debug',
  'trust-keys-from-https': 'trustKeysFromHttps',
};

/**
 * No commander defaults: a subcommand's default would hide the value given before the subcommand.
 * The options come from `command.createOption` (the same as `new Option`), so that importing this
 * module, as `rkt run` does, does not load commander.
 */
export function addGlobalOptions(command: Command, hidden = false): Command {
  const options = [
    command.createOption('--dir <dir>', `rkt data directory (default: paths.d "data", else ${DEFAULT_DATA_DIR})`),
    command.createOption('--system-config <dir>', 'system configuration directory (default: /usr/lib/rkt)'),
    command.createOption('--local-config <dir>', 'local configuration directory (default: /etc/rkt)'),
    command.createOption('--user-config <dir>', 'user configuration directory'),
    command.createOption('--debug', 'print out more debug information to stderr'),
    command.createOption('--insecure-options <list>', 'comma-separated protections to disable: none, image, tls, ondisk, http, pubkey, capabilities, paths, seccomp, all-fetch, all-run, all (default: none)'),
    command.createOption('--trust-keys-from-https', 'automatically trust gpg keys fetched from https'),
  ];
  for (const option of options) command.addOption(hidden ? option.hideHelp() : option);
  return command;
}

/** Later sources win; undefined values never overwrite. */
export function mergeRawOptions(...sources: RawGlobalOptions[]): RawGlobalOptions {
  const merged: RawGlobalOptions = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source) as [keyof RawGlobalOptions, never][]) {
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged;
}

export function resolveGlobalOptions(raw: RawGlobalOptions): GlobalOptions {
  const systemConfig = raw.systemConfig ?? '/usr/lib/rkt';
  const localConfig = raw.localConfig ?? '/etc/rkt';
  // Reading configuration costs a few directory reads; only --dir's default needs it here.
  const dir = raw.dir ?? loadRktConfig({ system: systemConfig, local: localConfig, ...(raw.userConfig ? { user: raw.userConfig } : {}) }).paths.data ?? DEFAULT_DATA_DIR;
  return {
    dir: path.resolve(dir),
    systemConfig,
    localConfig,
    ...(raw.userConfig ? { userConfig: raw.userConfig } : {}),
    debug: raw.debug ?? false,
    insecure: parseInsecureOptions(raw.insecureOptions ?? 'none'),
    trustKeysFromHttps: raw.trustKeysFromHttps ?? false,
  };
}
