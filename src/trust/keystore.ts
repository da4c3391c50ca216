/**
 * rkt's trust store (reference §3.6): armored OpenPGP public keys in
 *
 *   <config>/trustedkeys/root.d/<fingerprint>                  trusted for every image
 *   <config>/trustedkeys/prefix.d/<prefix>/<fingerprint>       trusted for names under <prefix>
 *
 * for the system (`/usr/lib/rkt`) and local (`/etc/rkt`) configuration directories. `<prefix>` is
 * the AC identifier as a path (`example.com/app` is `prefix.d/example.com/app/`), so the prefixes
 * of a name are its ancestors on path-segment boundaries only: a key for `example.com/app` covers
 * `example.com/app` and `example.com/app/x`, never `example.com/application`. Files are named by
 * the lower-case hex fingerprint of the primary key; a file in the local directory replaces the
 * system's file of the same name, and an empty one masks it.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './load-openpgp.js';
import { RktError } from '../errors/rkt-error.js';
import { AC_IDENTIFIER } from '../schema/appc-manifest.js';

export interface TrustDirs {
  system: string;
  local: string;
}

export interface TrustedKey {
  fingerprint: string;
  /** `root` or the prefix it is trusted for. */
  scope: string;
  file: string;
  key: openpgp.PublicKey;
}

const FINGERPRINT = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** The prefix of `rkt trust --prefix`: an AC identifier, without a URL scheme. */
export function checkPrefix(prefix: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(prefix)) {
    throw new RktError('usage', 'ERR_TRUST_PREFIX_INVALID', `--prefix=${prefix}: a prefix is an image name prefix, not a URL`, { hint: 'drop the scheme, e.g. --prefix=example.com/app' });
  }
  if (!AC_IDENTIFIER.test(prefix) || prefix.length > 512) {
    throw new RktError('usage', 'ERR_TRUST_PREFIX_INVALID', `--prefix=${prefix} is not an AC identifier`, { hint: 'lower-case letters and digits separated by single -._~/, e.g. example.com/app' });
  }
  return prefix;
}

/** `example.com/app/x` → `example.com/app/x`, `example.com/app`, `example.com`. */
export function prefixesOf(name: string): string[] {
  const parts = name.split('/');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('/'));
}

function keyDir(config: string, scope: string): string {
  return scope === 'root' ? path.join(config, 'trustedkeys', 'root.d') : path.join(config, 'trustedkeys', 'prefix.d', ...scope.split('/'));
}

/** Regular files named like fingerprints in one directory; a missing directory has none. */
function keyFiles(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    if (!FINGERPRINT.test(name)) continue;
    const file = path.join(dir, name);
    if (lstatSync(file).isFile()) found.set(name, file);
  }
  return found;
}

async function readKeyFile(file: string, fingerprint: string): Promise<openpgp.PublicKey | undefined> {
  const bytes = readFileSync(file);
  if (bytes.length === 0) return undefined; // a mask
  if (bytes.length > MAX_KEY_FILE_BYTES) throw new RktError('trust', 'ERR_TRUST_KEY_INVALID', `trusted key ${file} is larger than ${MAX_KEY_FILE_BYTES} bytes`);
  let key: openpgp.PublicKey;
  try {
    key = await (await loadOpenpgp()).readKey({ armoredKey: bytes.toString('utf8') });
  } catch (error) {
    throw new RktError('trust', 'ERR_TRUST_KEY_INVALID', `trusted key ${file} is not an armored OpenPGP public key: ${(error as Error).message}`, { cause: error });
  }
  if (key.getFingerprint().toLowerCase() !== fingerprint) {
    throw new RktError('trust', 'ERR_TRUST_KEY_INVALID', `trusted key ${file} has the fingerprint ${key.getFingerprint()}, not the one its file name says`, {
      hint: 'key files are named by the fingerprint of their primary key; remove or rename the file',
    });
  }
  return key.toPublic();
}

/** The keys trusted for an image name: root keys, then those of each prefix of the name. */
export async function trustedKeysFor(dirs: TrustDirs, imageName: string): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const scope of ['root', ...prefixesOf(imageName).reverse()]) {
    const system = keyFiles(keyDir(dirs.system, scope));
    const local = keyFiles(keyDir(dirs.local, scope));
    const merged = new Map([...system, ...local]); // local replaces (or, empty, masks) the system's file
    for (const [fingerprint, file] of merged) {
      const key = await readKeyFile(file, fingerprint);
      if (key !== undefined) keys.push({ fingerprint, scope, file, key });
    }
  }
  return keys;
}

/** Writes a key into the local store for `scope` (root or a prefix); returns the file written. */
export async function storeTrustedKey(localConfig: string, scope: string, key: openpgp.PublicKey): Promise<string> {
  const dir = keyDir(localConfig, scope);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const file = path.join(dir, key.getFingerprint().toLowerCase());
  const temporary = `${file}.tmp-${process.pid}`;
  await writeFile(temporary, key.armor(), { mode: 0o644 });
  await chmod(temporary, 0o644);
  await rename(temporary, file);
  return file;
}

/** An armored public key from a file or URL given to `rkt trust`. */
export async function readArmoredPublicKey(bytes: Buffer, where: string): Promise<openpgp.PublicKey> {
  if (bytes.length > MAX_KEY_FILE_BYTES) throw new RktError('trust', 'ERR_TRUST_KEY_INVALID', `key ${where} is larger than ${MAX_KEY_FILE_BYTES} bytes`);
  try {
    return (await (await loadOpenpgp()).readKey({ armoredKey: bytes.toString('utf8') })).toPublic();
  } catch (error) {
    throw new RktError('trust', 'ERR_TRUST_KEY_INVALID', `key ${where} is not an armored OpenPGP public key: ${(error as Error).message}`, { cause: error });
  }
}

/** What a person reviewing a key is shown: fingerprint and user IDs. */
export function describeKey(key: openpgp.PublicKey): { fingerprint: string; userIds: string[] } {
  return { fingerprint: key.getFingerprint().toLowerCase(), userIds: key.getUserIDs() };
}
