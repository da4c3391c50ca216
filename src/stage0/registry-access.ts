/**
 * How rkt may talk to registries: `--insecure-options=http` and `tls`, and credentials per registry
 * host from rkt's `auth.d` `dockerAuth` files (first), then `~/.docker/config.json` (`auths`, with
 * `auth` as base64 `user:password`). Docker Hub is known there as `https://index.docker.io/v1/`.
 * For appc fetches (discovery, ACIs, signatures, keys): the trust store, and auth.d `auth` entries
 * per host.
 */
import fs from 'node:fs';
import { RktError } from '../errors/rkt-error.js';
import { basicAuthorization } from '../image/registry/basic-authorization.js';
import { buildCredentialsFor, defaultDockerConfigPath, type CredentialsFor } from '../image/registry/registry-credentials.js';
import type { AuthConfig } from '../schema/rkt-config.js';
import type { InsecureOption } from './insecure-options.js';
import { loadRktConfig, type ConfigDirs } from './rkt-config.js';

export interface RegistryAccess {
  insecureHttp: boolean;
  insecureTls: boolean;
  credentialsFor: CredentialsFor;
  /** For appc images (ACI files, URLs, discovery): the trust store and `--insecure-options=image`. */
  appc?: AppcAccess;
}

export interface AppcAccess {
  /** `--insecure-options=image`: accept images without a verified signature. */
  insecureImage: boolean;
  /** The Authorization header auth.d `auth` entries give a URL's host (`basic` or `oauth`), if any. */
  authorizationFor?: (url: URL) => string | undefined;
  trustDirs: { system: string; local: string };
  /** PEM of extra CAs for HTTPS (the file named by SSL_CERT_FILE), added to Node's roots. */
  extraCa?: string;
  /** `--signature=FILE` of rkt fetch: the signature of the (one) image given. */
  signatureFile?: string;
}

/** SSL_CERT_FILE, as Go's crypto/x509 (and so rkt) honoured it: extra CA certificates for HTTPS. */
function extraCaFromEnvironment(): string | undefined {
  const file = process.env.SSL_CERT_FILE;
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * rkt's auth.d `auth` entries as Authorization headers, by the host of the URL (with its port when
 * the URL has one), as rkt matched them: `basic` sends user and password, `oauth` the token as a
 * bearer token. `aws` (request signing) is refused by name rather than skipped.
 */
function appcAuthorization(auth: ReadonlyMap<string, AuthConfig>): (url: URL) => string | undefined {
  return (url) => {
    const entry = auth.get(url.host);
    if (entry === undefined) return undefined;
    const { credentials } = entry;
    switch (entry.type) {
      case 'basic':
        return basicAuthorization({ username: credentials.user!, password: credentials.password! });
      case 'oauth':
        return `Bearer ${credentials.token!}`;
      case 'aws':
        throw new RktError('config', 'ERR_CONFIG_UNSUPPORTED', `auth.d: the "aws" credentials configured for ${url.host} are not supported`, {
          hint: 'serve the images over HTTPS with "basic" or "oauth" credentials, or remove the entry',
        });
    }
  };
}

export function registryAccess(insecure: ReadonlySet<InsecureOption>, configDirs: ConfigDirs, dockerConfig = defaultDockerConfigPath()): RegistryAccess {
  const config = loadRktConfig(configDirs);
  const rktDockerAuth = new Map([...config.dockerAuth].map(([registry, entry]) => [registry, entry.credentials]));
  const extraCa = extraCaFromEnvironment();
  return {
    appc: {
      insecureImage: insecure.has('image'),
      authorizationFor: appcAuthorization(config.auth),
      trustDirs: { system: configDirs.system, local: configDirs.local },
      ...(extraCa === undefined ? {} : { extraCa }),
    },
    insecureHttp: insecure.has('http'),
    insecureTls: insecure.has('tls'),
    // Credentials go to the exact host they were configured for; Docker Hub's names are one host.
    credentialsFor: buildCredentialsFor(rktDockerAuth, { dockerConfigPath: dockerConfig }),
  };
}
