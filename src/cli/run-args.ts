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
import { parseCapabilityList } from '../isolation/capabilities.js';
import { parseCpuMillis, parseMemoryBytes } from '../isolation/quantity.js';
import { parseSeccompFlag } from '../isolation/seccomp-profile.js';
import type { AppRequest } from '../stage0/resolve-app.js';
import { GLOBAL_BOOLEAN_FLAGS, GLOBAL_VALUE_FLAGS, type RawGlobalOptions } from './global-options.js';

export interface RunArgs {
  global: RawGlobalOptions;
  apps: AppRequest[];
  net: string[];
  ports: string[];
  /** --dns, --dns-search, --dns-opt: comma lists, split. */
  dns: string[];
  dnsSearch: string[];
  dnsOpt: string[];
  dnsDomain?: string;
  hostsEntries: string[];
  hostname?: string;
  setEnv: string[];
  uuidFileSave?: string;
  pullPolicy?: string;
  help: boolean;
  /** Pod-wide, from issue 4 (pods); optional so that other parsers' results stay as they were. */
  setEnvFile?: string;
  inheritEnv?: boolean;
  interactive?: boolean;
  /** `--private-users`: the apps in a user namespace on a host uid/gid range of their own. */
  privateUsers?: boolean;
  /** `--volume` values, unparsed (stage0/pod-volumes.ts parses them). */
  volumes?: string[];
  /** `--mount` values given before the first image: they apply to every app (rkt §1.6). */
  podMounts?: string[];
  podManifest?: string;
  /** `rkt prepare --quiet`. */
  quiet?: boolean;
}

const APP_VALUE_FLAGS = [
  'name', 'exec', 'user', 'group', 'working-dir', 'environment',
  'supplementary-gids', 'mount', 'annotation', 'user-annotation', 'user-label',
  'caps-retain', 'caps-remove', 'cap-retain', 'cap-remove', 'seccomp', 'memory', 'cpu', 'cpu-shares', 'oom-score-adj',
] as const;
type AppValueFlag = (typeof APP_VALUE_FLAGS)[number];
const APP_BOOLEAN_FLAGS = ['readonly-rootfs'] as const;
const POD_VALUE_FLAGS = [
  'net', 'port', 'dns', 'dns-search', 'dns-opt', 'dns-domain', 'hosts-entry', 'hostname', 'set-env', 'uuid-file-save',
  'set-env-file', 'volume', 'pod-manifest', 'pull-policy',
] as const;
const POD_BOOLEAN_FLAGS = ['inherit-env', 'interactive', 'quiet', 'private-users'] as const;
type PodValueFlag = (typeof POD_VALUE_FLAGS)[number];

function usageError(message: string, hint?: string): RktError {
  return new RktError('usage', 'ERR_RUN_ARGS', message, { hint: hint ?? 'see `rkt run --help`' });
}

function parseBoolean(flag: string, value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw usageError(`--${flag}: "${value}" is not true or false`);
}

function parseInteger(flag: string, value: string, min: number, max: number): number {
  if (!/^-?[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw usageError(`--${flag}: "${value}" is not an integer from ${min} to ${max}`);
  }
  return Number(value);
}

/** rkt: an isolator flag replaces the image's; retain and remove of capabilities exclude each other. */
function applyIsolatorFlag(app: AppRequest, flag: AppValueFlag, value: string): void {
  const isolators = (app.isolators ??= {});
  switch (flag) {
    case 'caps-retain':
    case 'cap-retain':
    case 'caps-remove':
    case 'cap-remove': {
      const kind = flag.endsWith('retain') ? 'retain' : 'remove';
      if (isolators.capabilities && isolators.capabilities.kind !== kind) {
        throw usageError(`image ${app.image}: --caps-retain and --caps-remove cannot both be given for one app`);
      }
      isolators.capabilities = { kind, names: parseCapabilityList(flag, value) };
      break;
    }
    case 'seccomp':
      isolators.seccomp = parseSeccompFlag(value);
      break;
    case 'memory':
      isolators.memoryBytes = parseMemoryBytes(value);
      break;
    case 'cpu':
      isolators.cpuMillis = parseCpuMillis(value);
      break;
    case 'cpu-shares':
      isolators.cpuShares = parseInteger(flag, value, 2, 262144);
      break;
    case 'oom-score-adj':
      isolators.oomScoreAdj = parseInteger(flag, value, -1000, 1000);
      break;
  }
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
    case 'supplementary-gids':
      app.supplementaryGids = value;
      break;
    case 'mount':
      (app.mounts ??= []).push(value);
      break;
    case 'annotation':
      (app.annotations ??= []).push(value);
      break;
    case 'user-annotation':
      (app.userAnnotations ??= []).push(value);
      break;
    case 'user-label':
      (app.userLabels ??= []).push(value);
      break;
    default:
      applyIsolatorFlag(app, flag, value);
  }
}

function applyPodFlag(args: RunArgs, flag: PodValueFlag, value: string): void {
  switch (flag) {
    case 'net':
      args.net.push(value);
      break;
    case 'port':
      args.ports.push(value);
      break;
    case 'dns':
      args.dns.push(...value.split(','));
      break;
    case 'dns-search':
      args.dnsSearch.push(...value.split(','));
      break;
    case 'dns-opt':
      args.dnsOpt.push(...value.split(','));
      break;
    case 'dns-domain':
      args.dnsDomain = value;
      break;
    case 'hosts-entry':
      args.hostsEntries.push(value);
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
    case 'set-env-file':
      args.setEnvFile = value;
      break;
    case 'volume':
      (args.volumes ??= []).push(value);
      break;
    case 'pod-manifest':
      args.podManifest = value;
      break;
    case 'pull-policy':
      args.pullPolicy = value;
      break;
  }
}

export function parseRunArgs(argv: readonly string[]): RunArgs {
  const args: RunArgs = { global: {}, apps: [], net: [], ports: [], dns: [], dnsSearch: [], dnsOpt: [], hostsEntries: [], setEnv: [], help: false };
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
    } else if ((POD_BOOLEAN_FLAGS as readonly string[]).includes(name)) {
      const value = inlineValue === undefined ? true : parseBoolean(name, inlineValue);
      if (name === 'inherit-env') args.inheritEnv = value;
      else if (name === 'interactive') args.interactive = value;
      else if (name === 'private-users') args.privateUsers = value;
      else args.quiet = value;
    } else if ((APP_BOOLEAN_FLAGS as readonly string[]).includes(name)) {
      if (!current) throw usageError(`flag --${name} applies to an image and must follow one`, `write it after the image: rkt run IMAGE --${name}`);
      current.readonlyRootfs = inlineValue === undefined ? true : parseBoolean(name, inlineValue);
    } else if ((POD_VALUE_FLAGS as readonly string[]).includes(name)) {
      applyPodFlag(args, name as PodValueFlag, takeValue());
    } else if (name === 'mount' && !current) {
      // rkt: the one per-app flag allowed before the first image, where it applies to all apps
      (args.podMounts ??= []).push(takeValue());
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
  --net=NETS              network: default (rkt's default network, the default), default-restricted,
                          a network of <local-config>/net.d, NAME:K=V;K2=V2 (CNI_ARGS), all, or
                          host (the host's) or none (only loopback); repeatable, comma lists
  --port=NAME:[IP:]PORT   forward host port PORT (on IP, default every host address) to the image
                          port NAME (an OCI image's ExposedPorts 80/tcp is 80-tcp); repeatable
  --dns=IP|host|none      name servers for /etc/resolv.conf (host: the host's file; none: the
                          image's); repeatable. Default: the network's DNS (the host's with --net=host)
  --dns-search=DOMAIN     search domains for /etc/resolv.conf (repeatable)
  --dns-opt=OPTION        resolver options for /etc/resolv.conf (repeatable)
  --dns-domain=DOMAIN     the domain line of /etc/resolv.conf
  --hosts-entry=IP=HOST   an /etc/hosts entry (repeatable), or host: the host's /etc/hosts
  --hostname=NAME         the pod's host name (default rkt-<uuid>)
  --set-env=NAME=VALUE    an environment variable for every app (repeatable)
  --set-env-file=FILE     environment variables for every app, one NAME=VALUE a line
                          (blank lines and lines starting with # or ; are skipped)
  --inherit-env           every app inherits rkt's environment (image values still win)
  --volume=NAME,kind=host,source=PATH[,readOnly=BOOL][,recursive=BOOL]
  --volume=NAME,kind=empty[,mode=0755][,uid=0][,gid=0][,readOnly=BOOL]
                          a volume apps can mount with --mount (repeatable)
  --interactive           give the app the terminal (one app only); its output is not logged
  --private-users         run the apps in a user namespace: the pod's root is a host uid of
                          a range of 65536 of its own, not the host's root
  --uuid-file-save=FILE   write the pod's UUID to FILE as soon as it is known
  --pull-policy=POLICY    new: fetch only images the store lacks (default); update: always
                          check the source; never: use the store only
  --pod-manifest=FILE     run the pod an appc pod manifest describes (its images by ID or
                          name, from the store only); no images, --volume, --mount, --port,
                          environment flags or --pull-policy=never|update with it

Image flags (after the image they apply to):
  --name=NAME             the app's name (default: from the image)
  --exec=PATH             the program to run instead of the image's Entrypoint
  --user=USER             user name or uid (looked up in the image's /etc/passwd)
  --group=GROUP           group name or gid (looked up in the image's /etc/group)
  --working-dir=DIR       working directory instead of the image's
  --environment=NAME=VALUE an environment variable for this app (repeatable)
  --supplementary-gids=G1,G2 supplementary group ids instead of the image user's
  --readonly-rootfs       mount the app's root filesystem read-only
  --mount=volume=NAME,target=PATH  mount a --volume at PATH inside this app (repeatable);
                          before the first image: inside every app (an app's own --mount
                          on the same path wins)
  --annotation=NAME=VALUE  an app annotation in the pod manifest (repeatable)
  --user-annotation=NAME=VALUE, --user-label=NAME=VALUE  free-form, recorded in the manifest
  --caps-retain=CAP,...   the app's capability bounding set is exactly these (e.g. CAP_NET_ADMIN)
  --caps-remove=CAP,...   remove these from the default fourteen capabilities
  --seccomp=mode=retain|remove[,errno=NAME],SYSCALL,...
                          allow only / forbid these system calls (wildcards: @rkt/default-whitelist,
                          @docker/default-blacklist, @appc.io/all, @appc.io/empty); a forbidden
                          call kills the app (SIGSYS) unless errno= is given
  --memory=QUANTITY       memory limit (Kubernetes quantity: 128Mi, 1G, ...)
  --cpu=QUANTITY          CPU limit (500m = half a CPU, 2 = two CPUs), as a CFS quota
  --cpu-shares=N          relative CPU weight (2-262144)
  --oom-score-adj=N       the app's oom_score_adj (-1000 to 1000)

Arguments after "--" replace the image's Cmd; "---" ends them when more images follow.

Volumes declared by an image (OCI config "Volumes") that no --mount covers get an implicit
empty volume named <app>-<path>, filled with the image's content at that path (Docker's rule).

Example, a two-app pod sharing an empty volume:
  rkt run --insecure-options=image --volume=data,kind=empty \\
      oci:./web --name=web --mount=volume=data,target=/srv -- --port 80 --- \\
      oci:./job --name=job --mount=volume=data,target=/in

Global flags (--dir, --insecure-options, --debug, ...) are accepted here too; see \`rkt --help\`.
Unsigned images (all OCI images so far) need --insecure-options=image.

Exit status: the status of the first app that failed (128+N when killed by signal N), 0 when
all apps succeeded, 254 when rkt itself failed.
`;
