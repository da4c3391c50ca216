/**
 * `rkt fetch IMAGE...`: puts images into the store and prints their IDs. As root, the layers are
 * extracted too; a member of the `rkt` group stores blobs and index entries only, and `rkt run`
 * (root) extracts the layers when it first uses them.
 */
import { Option, type Command } from 'commander';
import { RktError } from '../../errors/rkt-error.js';
import { fetchImage, parsePullPolicy } from '../../stage0/fetch-image.js';
import { registryAccess } from '../../stage0/registry-access.js';
import { formatImageId } from '../../stage0/resolve-stored-image.js';
import { addGlobalOptions } from '../global-options.js';
import { startFetchProgress } from '../render/fetch-progress.js';
import { globalsOf } from './command-context.js';

interface FetchOptions {
  full?: boolean;
  pullPolicy: string;
  storeOnly?: boolean;
  /** false when --no-store was given (commander's negation). */
  store?: boolean;
  signature?: string;
}

function policyOf(options: FetchOptions) {
  if (options.storeOnly && options.store === false) {
    throw new RktError('usage', 'ERR_PULL_POLICY_INVALID', '--store-only and --no-store cannot be used together', { hint: 'use --pull-policy=never or --pull-policy=update' });
  }
  if (options.storeOnly) return parsePullPolicy('never');
  if (options.store === false) return parsePullPolicy('update');
  return parsePullPolicy(options.pullPolicy);
}

export function registerFetch(program: Command): void {
  addGlobalOptions(
    program
      .command('fetch')
      .description('Fetch image(s) and store them in the local store')
      .argument('<image...>', 'appc NAME[:VERSION], FILE.aci, https://…/FILE.aci, docker://…, oci:PATH[:TAG], oci-archive:PATH[:TAG], docker-archive:PATH')
      .option('--full', 'print the full image ID')
      .option('--signature <file>', 'the detached signature of the (one) ACI file given (default: FILE.aci.asc beside it)')
      .option('--pull-policy <policy>', 'never: only the store; new: fetch only what the store lacks; update: always check the source', 'update')
      .addOption(new Option('--store-only', 'deprecated: --pull-policy=never').hideHelp())
      .addOption(new Option('--no-store', 'deprecated: --pull-policy=update').hideHelp()),
    true,
  ).action(async (images: string[], options: FetchOptions, command: Command) => {
    const globals = globalsOf(command);
    const pullPolicy = policyOf(options);
    const extract = typeof process.geteuid !== 'function' || process.geteuid() === 0;
    const registry = registryAccess(globals.insecure, { system: globals.systemConfig, local: globals.localConfig, ...(globals.userConfig ? { user: globals.userConfig } : {}) });
    if (options.signature !== undefined) {
      if (images.length !== 1) throw new RktError('usage', 'ERR_FETCH_ARGS', '--signature applies to one image; give exactly one');
      if (registry.appc) registry.appc.signatureFile = options.signature;
    }
    for (const image of images) {
      const progress = await startFetchProgress();
      const fetched = await fetchImage({ dataDir: globals.dir, image, pullPolicy, extract, registry, onProgress: progress.update }).finally(progress.stop);
      process.stdout.write(`${formatImageId(fetched.record.id, options.full ?? false)}\n`);
    }
  });
}
