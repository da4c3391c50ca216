/** `rkt trust --prefix=PREFIX | --root [--skip-fingerprint-review] [--insecure-allow-http] [KEYFILE|URL...]`. */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { RktError } from '../../errors/rkt-error.js';
import { registryAccess } from '../../stage0/registry-access.js';
import { trustKeys } from '../../stage0/trust-keys.js';
import { addGlobalOptions } from '../global-options.js';
import { globalsOf } from './command-context.js';

interface TrustOptions {
  prefix?: string;
  root?: boolean;
  skipFingerprintReview?: boolean;
  insecureAllowHttp?: boolean;
}

async function askYesNo(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new RktError('usage', 'ERR_TRUST_REVIEW_NEEDS_TTY', 'the key fingerprint must be reviewed, and standard input is not a terminal', {
      hint: 'check the fingerprint some other way and pass --skip-fingerprint-review',
    });
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await prompt.question(question)).trim().toLowerCase();
      if (answer === 'yes' || answer === 'y') return true;
      if (answer === 'no' || answer === 'n') return false;
      process.stderr.write('please answer yes or no\n');
    }
  } finally {
    prompt.close();
  }
}

export function registerTrust(program: Command): void {
  addGlobalOptions(
    program
      .command('trust')
      .description('Trust a key for image verification')
      .argument('[keys...]', 'armored public key files or https URLs (none: discover them for --prefix)')
      .option('--prefix <prefix>', 'the image name prefix the key is trusted for')
      .option('--root', 'trust the key for every image')
      .option('--skip-fingerprint-review', 'accept the key without reviewing its fingerprint')
      .option('--insecure-allow-http', 'allow plain HTTP for discovery and keys'),
    true,
  ).action(async (keys: string[], options: TrustOptions, command: Command) => {
    const globals = globalsOf(command);
    const added = await trustKeys({
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      root: options.root ?? false,
      keys,
      skipReview: options.skipFingerprintReview ?? false,
      allowHttp: options.insecureAllowHttp ?? false,
      localConfig: globals.localConfig,
      access: registryAccess(globals.insecure, { system: globals.systemConfig, local: globals.localConfig }),
      review: async (key) => {
        process.stderr.write(`Key from ${key.source}, to trust for ${key.scope === 'root' ? 'every image' : `prefix "${key.scope}"`}:\n  fingerprint: ${key.fingerprint}\n${key.userIds.map((id) => `  subkey/uid:  ${id}\n`).join('')}`);
        return askYesNo('Are you sure you want to trust this key (yes/no)? ');
      },
    });
    for (const key of added) process.stdout.write(`Added key ${key.fingerprint} from ${key.source} at ${key.file}\n`);
  });
}
