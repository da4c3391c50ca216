/**
 * Where registry credentials come from, in order: rkt's `auth.d` `dockerAuth` entries (as loaded
 * by stage0's config loader, per registry), then the `auths` of Docker's ~/.docker/config.json
 * (`$DOCKER_CONFIG/config.json` when set). Registry names are compared as hosts: Docker's
 * `https://index.docker.io/v1/` key and `docker.io`/`index.docker.io` all mean Docker Hub
 * (registry-1.docker.io); `https://host/v2/` style keys mean `host`. Docker credential helpers
 * (`credsStore`, `credHelpers`) are not run.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RktError, isErrnoException } from '../../errors/rkt-error.js';
import { dockerConfigFileSchema } from '../../schema/docker-config.js';
import { parseJsonDocument } from '../../schema/parse-json-document.js';
import { canonicalRegistryHost } from '../docker-reference.js';
import type { RegistryCredentials } from './basic-authorization.js';

export type CredentialsFor = (registryHost: string) => RegistryCredentials | undefined;

/** Host part of a registry key: `https://index.docker.io/v1/` → `registry-1.docker.io`. */
export function registryKeyHost(key: string): string {
  const withoutScheme = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return canonicalRegistryHost(withoutScheme.split('/')[0] ?? '');
}

export function defaultDockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** The `auths` of a Docker config file, by host; a missing file is no credentials. */
export function readDockerConfigAuths(path: string = defaultDockerConfigPath()): Map<string, RegistryCredentials> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if (isErrnoException(error, 'ENOENT') || isErrnoException(error, 'ENOTDIR')) return new Map();
    throw new RktError('config', 'ERR_CONFIG_UNREADABLE', `cannot read the Docker configuration ${path}: ${(error as Error).message}`);
  }
  let file;
  try {
    file = parseJsonDocument(bytes, dockerConfigFileSchema, `Docker configuration ${path}`);
  } catch (error) {
    throw new RktError('config', 'ERR_CONFIG_INVALID', (error as Error).message, { cause: error });
  }
  const result = new Map<string, RegistryCredentials>();
  for (const [key, entry] of Object.entries(file.auths ?? {})) {
    const credentials = entry.auth ? decodeAuth(entry.auth, key, path) : entry.username !== undefined && entry.password !== undefined ? { username: entry.username, password: entry.password } : undefined;
    const host = registryKeyHost(key);
    if (credentials && !result.has(host)) result.set(host, credentials);
  }
  return result;
}

function decodeAuth(auth: string, key: string, path: string): RegistryCredentials {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (!/^[A-Za-z0-9+/=\s]*$/.test(auth) || colon <= 0) {
    throw new RktError('config', 'ERR_CONFIG_INVALID', `Docker configuration ${path}: the "auth" of ${JSON.stringify(key)} is not base64 of user:password`);
  }
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Builds the client's `credentialsFor` from rkt's dockerAuth entries (registry → user/password;
 * RktConfig.dockerAuth's values fit, through their `credentials`) and, unless `dockerConfigPath`
 * is null, Docker's config file. rkt's own configuration wins. Docker's file is read on the first
 * lookup, so a pod run from the store never reads it (nor fails on it).
 */
export function buildCredentialsFor(
  rktDockerAuth: Map<string, { user: string; password: string }>,
  options: { dockerConfigPath?: string | null } = {},
): CredentialsFor {
  let table: Map<string, RegistryCredentials> | undefined;
  const build = (): Map<string, RegistryCredentials> => {
    const built = new Map<string, RegistryCredentials>();
    if (options.dockerConfigPath !== null) {
      for (const [host, credentials] of readDockerConfigAuths(options.dockerConfigPath ?? defaultDockerConfigPath())) built.set(host, credentials);
    }
    for (const [registry, { user, password }] of rktDockerAuth) built.set(registryKeyHost(registry), { username: user, password });
    return built;
  };
  return (registryHost) => (table ??= build()).get(registryKeyHost(registryHost));
}
