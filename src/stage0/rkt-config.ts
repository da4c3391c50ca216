/**
 * rkt's layered configuration: the system directory (vendor, /usr/lib/rkt), the local one (admin,
 * /etc/rkt) and an optional user one, later layers overriding earlier ones per domain, registry or
 * field. Defining the same domain or field twice within one directory is an error, as in rkt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError, isErrnoException, isRktError } from '../errors/rkt-error.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';
import {
  authDirEntrySchema,
  pathsConfigSchema,
  stage1ConfigSchema,
  type AuthConfig,
  type DockerAuthConfig,
  type PathsConfig,
  type Stage1Config,
} from '../schema/rkt-config.js';

export interface ConfigDirs {
  system: string;
  local: string;
  user?: string;
}

export interface RktConfig {
  /** Per domain. */
  auth: Map<string, AuthConfig>;
  /** Per registry. */
  dockerAuth: Map<string, DockerAuthConfig>;
  paths: { data?: string; stage1Images?: string };
  stage1: { name?: string; version?: string; location?: string };
}

function jsonFilesIn(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => path.join(dir, name));
  } catch (error) {
    if (isErrnoException(error, 'ENOENT') || isErrnoException(error, 'ENOTDIR')) return [];
    throw error;
  }
}

function readConfigFile<T>(file: string, schema: Parameters<typeof parseJsonDocument<T>>[1]): T {
  try {
    return parseJsonDocument(fs.readFileSync(file), schema, `configuration file ${file}`);
  } catch (error) {
    if (isRktError(error)) throw new RktError('config', 'ERR_CONFIG_INVALID', error.message, { cause: error });
    throw new RktError('config', 'ERR_CONFIG_UNREADABLE', `cannot read configuration file ${file}: ${(error as Error).message}`);
  }
}

function duplicate(what: string, dir: string): RktError {
  return new RktError('config', 'ERR_CONFIG_DUPLICATE', `${what} is configured twice in ${dir}`, {
    hint: 'keep one definition per directory; a later directory (local over system, user over local) overrides it',
  });
}

/** One directory's worth of one kind, checked for duplicates, then laid over what came before. */
function loadLayer(dir: string, config: RktConfig): void {
  const authSeen = new Set<string>();
  for (const file of jsonFilesIn(path.join(dir, 'auth.d'))) {
    const entry = readConfigFile(file, authDirEntrySchema);
    if (entry.rktKind === 'dockerAuth') {
      for (const registry of entry.registries) {
        if (authSeen.has(`registry:${registry}`)) throw duplicate(`docker registry ${registry}`, dir);
        authSeen.add(`registry:${registry}`);
        config.dockerAuth.set(registry, entry);
      }
    } else {
      for (const domain of entry.domains) {
        if (authSeen.has(`domain:${domain}`)) throw duplicate(`domain ${domain}`, dir);
        authSeen.add(`domain:${domain}`);
        config.auth.set(domain, entry);
      }
    }
  }
  const pathsSeen: Partial<Record<keyof PathsConfig, true>> = {};
  for (const file of jsonFilesIn(path.join(dir, 'paths.d'))) {
    const entry = readConfigFile(file, pathsConfigSchema);
    for (const key of ['data', 'stage1-images'] as const) {
      const value = entry[key];
      if (value === undefined) continue;
      if (pathsSeen[key]) throw duplicate(`the path "${key}"`, dir);
      pathsSeen[key] = true;
      if (key === 'data') config.paths.data = value;
      else config.paths.stage1Images = value;
    }
  }
  const stage1Seen: Partial<Record<keyof Stage1Config, true>> = {};
  for (const file of jsonFilesIn(path.join(dir, 'stage1.d'))) {
    const entry = readConfigFile(file, stage1ConfigSchema);
    if ((entry.name === undefined) !== (entry.version === undefined)) {
      throw new RktError('config', 'ERR_CONFIG_INVALID', `configuration file ${file}: stage1 "name" and "version" must be given together`);
    }
    for (const key of ['name', 'version', 'location'] as const) {
      const value = entry[key];
      if (value === undefined) continue;
      if (stage1Seen[key]) throw duplicate(`the stage1 field "${key}"`, dir);
      stage1Seen[key] = true;
      config.stage1[key] = value;
    }
  }
}

export function loadRktConfig(dirs: ConfigDirs): RktConfig {
  const config: RktConfig = { auth: new Map(), dockerAuth: new Map(), paths: {}, stage1: {} };
  for (const dir of [dirs.system, dirs.local, dirs.user]) if (dir) loadLayer(dir, config);
  return config;
}

/** `rkt config` output: rkt's `{"stage0": [...]}` with one entry per domain and registry. */
export function describeRktConfig(config: RktConfig): { stage0: object[] } {
  const stage0: object[] = [];
  for (const [domain, entry] of config.auth) {
    stage0.push({ rktVersion: 'v1', rktKind: 'auth', domains: [domain], type: entry.type, credentials: entry.credentials });
  }
  for (const [registry, entry] of config.dockerAuth) {
    stage0.push({ rktVersion: 'v1', rktKind: 'dockerAuth', registries: [registry], credentials: entry.credentials });
  }
  stage0.push({
    rktVersion: 'v1',
    rktKind: 'paths',
    ...(config.paths.data === undefined ? {} : { data: config.paths.data }),
    ...(config.paths.stage1Images === undefined ? {} : { 'stage1-images': config.paths.stage1Images }),
  });
  if (Object.keys(config.stage1).length > 0) stage0.push({ rktVersion: 'v1', rktKind: 'stage1', ...config.stage1 });
  return { stage0 };
}
