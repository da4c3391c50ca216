/**
 * `rkt trust`: adds public keys to the local configuration's trust store, for a prefix or (with
 * --root) for every image. Keys come from files or https URLs, or, when none is given, from the
 * prefix's `ac-discovery-pubkeys` meta tag. Each key's fingerprint is shown for review unless
 * --skip-fingerprint-review; the caller (the CLI) asks the question.
 */
import { readFile } from 'node:fs/promises';
import { RktError } from '../errors/rkt-error.js';
import { discover } from '../image/appc/appc-discovery.js';
import { getSmall } from '../image/appc/appc-http.js';
import { checkPrefix, describeKey, readArmoredPublicKey, storeTrustedKey } from '../trust/keystore.js';
import { appcHttp, defaultOsArch } from './fetch-appc-image.js';
import type { RegistryAccess } from './registry-access.js';

export interface TrustRequest {
  prefix?: string;
  root: boolean;
  keys: string[];
  skipReview: boolean;
  /** `--insecure-allow-http`: keys (and discovery) over plain HTTP. */
  allowHttp: boolean;
  localConfig: string;
  access: RegistryAccess;
  /** Asks whether to trust the key; false skips it. */
  review: (key: { fingerprint: string; userIds: string[]; source: string; scope: string }) => Promise<boolean>;
}

export interface TrustedKeyAdded {
  fingerprint: string;
  file: string;
  source: string;
}

export async function trustKeys(request: TrustRequest): Promise<TrustedKeyAdded[]> {
  if (request.root && request.prefix !== undefined) {
    throw new RktError('usage', 'ERR_TRUST_SCOPE', '--root and --prefix cannot be used together');
  }
  if (!request.root && request.prefix === undefined) {
    throw new RktError('usage', 'ERR_TRUST_SCOPE', 'rkt trust needs --prefix=PREFIX or --root: refusing implicit unbounded trust', {
      hint: 'trust keys for the images they sign: rkt trust --prefix=example.com/app KEYFILE',
    });
  }
  const scope = request.root ? 'root' : checkPrefix(request.prefix!);
  const http = { ...appcHttp(request.access), allowHttp: request.allowHttp };
  let sources = request.keys;
  if (sources.length === 0) {
    if (request.root) throw new RktError('usage', 'ERR_TRUST_SCOPE', '--root needs a key (a file or URL): there is no prefix to discover keys for');
    sources = (await discover(scope, new Map(defaultOsArch()), http, 'pubkeys')).pubkeys;
  }
  const added: TrustedKeyAdded[] = [];
  for (const source of sources) {
    let bytes: Buffer;
    if (/^https?:\/\//.test(source)) {
      const answer = await getSmall(new URL(source), http, 1024 * 1024);
      if (answer.body === undefined) throw new RktError('trust', 'ERR_TRUST_KEY_FETCH', `key ${source}: the server answered ${answer.status}`);
      bytes = answer.body;
    } else {
      bytes = await readFile(source).catch((error: NodeJS.ErrnoException) => {
        throw new RktError('usage', 'ERR_TRUST_KEY_FETCH', `key ${source}: cannot read it: ${error.message}`);
      });
    }
    const key = await readArmoredPublicKey(bytes, source);
    const described = describeKey(key);
    if (!request.skipReview && !(await request.review({ ...described, source, scope }))) continue;
    added.push({ fingerprint: described.fingerprint, file: await storeTrustedKey(request.localConfig, scope, key), source });
  }
  return added;
}
