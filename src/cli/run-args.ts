/**
 * The argument grammar of `rkt run` (reference §1.6), which no general parser models: per-app flags
 * follow the image they belong to, `--` starts that image's arguments and `---` ends them.
 *
 *   rkt run [pod flags] IMAGE [app flags] [-- ARGS... [---]] [IMAGE [app flags] ...]
 *
 * Pod and global flags are accepted anywhere (rkt wanted them before the first image; accepting
 * them later costs nothing and spares users a confusing error).
 */
import { RktError } from '../errors/rkt-error.js';
import type { AppRequest } from '../stage0/resolve-app.js';
import { GLOBAL_BOOLEAN_FLAGS, GLOBAL_VALUE_FLAGS, type RawGlobalOptions } from './global-options.js';

export interface RunArgs {
  global: RawGlobalOptions;
  apps: AppRequest[];
  net: string[];
  hostname?: string;
  setEnv: string[];
  uuidFileSave?: string;
  pullPolicy?: string;
  help: boolean;
}

type AppValueFlag = 'name' | 'exec' | 'user' | 'group' | 'working-dir' | 'environment';
const APP_VALUE_FLAGS: readonly AppValueFlag[] = ['name', 'exec', 'user', 'group', 'working-dir', 'environment'];
const POD_VALUE_FLAGS = ['net', 'hostname', 'set-env', 'uuid-file-save', 'pull-policy'] as const;
type PodValueFlag = (typeof POD_VALUE_FLAGS)[number];

function usageError(message: string, hint?: string): RktError {
  return new RktError('usage', 'ERR_RUN_ARGS', message, { hint: hint ?? 'see `rkt run --help`' });
}

function parseBoolean(flag: string, value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw usageError(`--${flag}: "${value}" is not true or false`);
}

function applyAppFlag(app: AppRequest, flag: AppValueFlag, value: string): void {
  switch (flag) {
    case 'name':
      app.name = value;
      break;
    case 'exec':
      app.exec = value;
      break;
    case 'user':
      app.user = value;
      break;
    case 'group':
      app.group = value;
      break;
    case 'working-dir':
      app.workingDir = value;
      break;
    case 'environment':
      app.environment.push(value);
      break;
  }
}

function applyPodFlag(args: RunArgs, flag: PodValueFlag, value: string): void {
  switch (flag) {
    case 'net':
      args.net.push(value);
      break;
    case 'hostname':
      args.hostname = value;
      break;
    case 'set-env':
      args.setEnv.push(value);
      break;
    case 'uuid-file-save':
      args.uuidFileSave = value;
      break;
    case 'pull-policy':
      args.pullPolicy = value;
      break;
  }
}

export function parseRunArgs(argv: readonly string[]): RunArgs {
  const args: RunArgs = { global: {}, apps: [], net: [], setEnv: [], help: false };
  let current: AppRequest | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      if (!current) throw usageError('"--" must follow an image: it starts that image\'s arguments');
      if (current.args !== undefined) throw usageError(`image ${current.image} has two "--" argument lists`);
      const end = argv.indexOf('---', i + 1);
      current.args = argv.slice(i + 1, end < 0 ? argv.length : end);
      i = end < 0 ? argv.length : end;
      continue;
    }
    if (token === '---') throw usageError('"---" without a preceding "--"');
    if (token === '-h' || token === '--help') {
      args.help = true;
      continue;
    }
    if (!token.startsWith('--')) {
      if (token.startsWith('-') && token.length > 1) throw usageError(`unknown flag "${token}"`);
      current = { image: token, environment: [] };
      args.apps.push(current);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const inlineValue = eq < 0 ? undefined : token.slice(eq + 1);
    const takeValue = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      const next = argv[i + 1];
      if (next === undefined) throw usageError(`flag --${name} needs a value`);
      i++;
      return next;
    };
    if (name in GLOBAL_BOOLEAN_FLAGS) {
      (args.global as Record<string, unknown>)[GLOBAL_BOOLEAN_FLAGS[name]!] = inlineValue === undefined ? true : parseBoolean(name, inlineValue);
    } else if (name in GLOBAL_VALUE_FLAGS) {
      (args.global as Record<string, unknown>)[GLOBAL_VALUE_FLAGS[name]!] = takeValue();
    } else if (name === 'net' && inlineValue === undefined) {
      // A bare --net means the default network, as in rkt.
      args.net.push('default');
    } else if ((POD_VALUE_FLAGS as readonly string[]).includes(name)) {
      applyPodFlag(args, name as PodValueFlag, takeValue());
    } else if ((APP_VALUE_FLAGS as readonly string[]).includes(name)) {
      if (!current) throw usageError(`flag --${name} applies to an image and must follow one`, `write it after the image: rkt run IMAGE --${name}=...`);
      applyAppFlag(current, name as AppValueFlag, takeValue());
    } else {
      throw usageError(`unknown flag "--${name}"`);
    }
  }
  return args;
}

export const RUN_HELP = `Run image(s) in a pod.

Usage:
  rkt run [flags] IMAGE [image flags] [-- image-args... [---]] [IMAGE ...]

Images (fetched into the store as --pull-policy says, then run from it):
  docker://[REGISTRY/]NAME[:TAG|@DIGEST]  an image in a registry
  oci:PATH[:TAG]          an OCI image layout directory (TAG picks a manifest by ref name)
  oci-archive:PATH[:TAG]  a tar of an OCI image layout
  docker-archive:PATH     what \`docker save\` writes
  sha256-<hex>            an image in the store, by ID (a unique prefix will do)

Pod flags:
  --net=host|none         network: the host's, or a private one with only loopback (default none)
  --hostname=NAME         the pod's host name (default rkt-<uuid>)
  --set-env=NAME=VALUE    an environment variable for every app (repeatable)
  --uuid-file-save=FILE   write the pod's UUID to FILE as soon as it is known
  --pull-policy=POLICY    new: fetch only images the store lacks (default); update: always
                          check the source; never: use the store only

Image flags (after the image they apply to):
  --name=NAME             the app's name (default: from the image)
  --exec=PATH             the program to run instead of the image's Entrypoint
  --user=USER             user name or uid (looked up in the image's /etc/passwd)
  --group=GROUP           group name or gid (looked up in the image's /etc/group)
  --working-dir=DIR       working directory instead of the image's
  --environment=NAME=VALUE an environment variable for this app (repeatable)

Arguments after "--" replace the image's Cmd; "---" ends them when more images follow.

Global flags (--dir, --insecure-options, --debug, ...) are accepted here too; see \`rkt --help\`.
Unsigned images (all OCI images so far) need --insecure-options=image.

Exit status: the status of the first app that failed (128+N when killed by signal N), 0 when
all apps succeeded, 254 when rkt itself failed.
`;
