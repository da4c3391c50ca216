/** `rkt version`. */
import type { Command } from 'commander';
import { APPC_VERSION } from '../../pod/pod-manifest.js';
import { PLAN_VERSION } from '../../stage1/stage1-plan.js';
import { addGlobalOptions } from '../global-options.js';

declare const RKT_VERSION: string | undefined;

/** esbuild defines RKT_VERSION from package.json; the unbundled build says so. */
export const rktVersion = typeof RKT_VERSION === 'string' ? RKT_VERSION : '0.0.0-unbundled';

export function registerVersion(program: Command): void {
  addGlobalOptions(program.command('version').description('Print the version and exit'), true).action(() => {
    process.stdout.write(
      [
        `rkt Version: ${rktVersion}`,
        `appc Version: ${APPC_VERSION}`,
        `Node Version: ${process.version}`,
        `Node OS/Arch: ${process.platform}/${process.arch}`,
        `stage1 Plan Version: ${PLAN_VERSION}`,
        'Features: +OCI -APPC -CNI -TPM -SDJOURNAL',
        '',
      ].join('\n'),
    );
  });
}
