/**
 * Pod volumes and app mounts (reference §6.1): the `--volume` and `--mount` flags, the volumes
 * images declare (OCI config `Volumes`), and which volume every app gets at which path.
 *
 * Per app: (1) every explicit mount names a volume of the pod (unknown = error); (2) each image
 * mount point without a mount on the same path gets the pod volume with the same name as the
 * path's implicit name, else (3) an implicit empty volume `<app>-<path>` that, for OCI/Docker
 * images, starts with the image's content at that path (Docker's copy-up).
 */
import path from 'node:path';
import { RktError } from '../errors/rkt-error.js';

export interface HostVolume {
  name: string;
  kind: 'host';
  source: string;
  readOnly?: boolean;
  /** rbind (true, the default) or a plain bind. */
  recursive: boolean;
}

export interface EmptyVolume {
  name: string;
  kind: 'empty';
  mode: number;
  uid: number;
  gid: number;
  readOnly?: boolean;
  /** An implicit volume for an image mount point: filled from the image at `copyUp`. */
  copyUp?: string;
}

export type Volume = HostVolume | EmptyVolume;

export interface MountRequest {
  volume: string;
  /** Absolute, normalised, inside the app's root. */
  target: string;
}

export interface AppMount {
  volume: Volume;
  target: string;
  readOnly: boolean;
}

const VOLUME_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function volumeError(flag: string, value: string, problem: string): RktError {
  return new RktError('usage', 'ERR_VOLUME_INVALID', `${flag} "${value}": ${problem}`, {
    hint: flag === '--mount'
      ? 'write --mount=volume=NAME,target=/path after the image'
      : 'write --volume=NAME,kind=host,source=/path[,readOnly=true] or --volume=NAME,kind=empty[,mode=0755][,uid=0][,gid=0]',
  });
}

/** Splits `k=v,k=v` (and a first bare word, the name, when `firstIsName`). */
function keyValues(flag: string, value: string, firstIsName: boolean): { name?: string; fields: Map<string, string> } {
  const parts = value.split(',');
  const fields = new Map<string, string>();
  let name: string | undefined;
  parts.forEach((part, index) => {
    const eq = part.indexOf('=');
    if (index === 0 && firstIsName && eq < 0) {
      name = part;
      return;
    }
    if (eq <= 0) throw volumeError(flag, value, `"${part}" is not KEY=VALUE`);
    const key = part.slice(0, eq);
    if (fields.has(key)) throw volumeError(flag, value, `${key} is given twice`);
    fields.set(key, part.slice(eq + 1));
  });
  return name === undefined ? { fields } : { name, fields };
}

function booleanField(flag: string, value: string, key: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw volumeError(flag, value, `${key} must be true or false, not "${text}"`);
}

function idField(flag: string, value: string, key: string, text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text) || Number(text) > 4294967294) throw volumeError(flag, value, `${key} "${text}" is not an id (0-4294967294)`);
  return Number(text);
}

export function checkVolumeName(name: string, flag: string, value: string): string {
  if (!VOLUME_NAME.test(name) || name.length > 128) {
    throw volumeError(flag, value, `volume name "${name}" is invalid (lower-case letters and digits separated by single dashes)`);
  }
  return name;
}

/** One `--volume` value. */
export function parseVolumeFlag(value: string): Volume {
  const flag = '--volume';
  // rkt also took `name=NAME,kind=...`; accept both spellings.
  const { name: bare, fields } = keyValues(flag, value, true);
  const named = fields.get('name');
  fields.delete('name');
  if (bare !== undefined && named !== undefined) throw volumeError(flag, value, 'the name is given twice');
  const name = checkVolumeName(bare ?? named ?? '', flag, value);
  const kind = fields.get('kind');
  const allowed = kind === 'host' ? ['kind', 'source', 'readOnly', 'recursive'] : ['kind', 'mode', 'uid', 'gid', 'readOnly'];
  for (const key of fields.keys()) if (!allowed.includes(key)) throw volumeError(flag, value, `unknown key "${key}" for kind=${kind ?? '?'}`);
  const readOnly = booleanField(flag, value, 'readOnly', fields.get('readOnly'));
  if (kind === 'host') {
    const source = fields.get('source');
    if (source === undefined || !path.isAbsolute(source)) throw volumeError(flag, value, 'kind=host needs source=ABSOLUTE-PATH');
    return {
      name, kind, source: path.normalize(source),
      recursive: booleanField(flag, value, 'recursive', fields.get('recursive')) ?? true,
      ...(readOnly === undefined ? {} : { readOnly }),
    };
  }
  if (kind === 'empty') {
    const modeText = fields.get('mode') ?? '0755';
    if (!/^0?[0-7]{3,4}$/.test(modeText)) throw volumeError(flag, value, `mode "${modeText}" is not an octal mode`);
    return {
      name, kind, mode: parseInt(modeText, 8),
      uid: idField(flag, value, 'uid', fields.get('uid')),
      gid: idField(flag, value, 'gid', fields.get('gid')),
      ...(readOnly === undefined ? {} : { readOnly }),
    };
  }
  throw volumeError(flag, value, 'kind must be host or empty');
}

/** A path inside an app: absolute, normalised, not `/` itself. */
export function checkMountTarget(target: string, what: string, value: string): string {
  if (!path.isAbsolute(target) || target.includes('\0')) throw volumeError(what, value, `target "${target}" is not an absolute path`);
  const normal = path.posix.normalize(target).replace(/\/+$/, '');
  if (normal === '') throw volumeError(what, value, 'a volume cannot be mounted on /');
  return normal;
}

/** One `--mount` value. */
export function parseMountFlag(value: string): MountRequest {
  const flag = '--mount';
  const { fields } = keyValues(flag, value, false);
  for (const key of fields.keys()) if (key !== 'volume' && key !== 'target') throw volumeError(flag, value, `unknown key "${key}"`);
  const volume = fields.get('volume');
  const target = fields.get('target');
  if (volume === undefined || target === undefined) throw volumeError(flag, value, 'needs volume=NAME and target=PATH');
  return { volume: checkVolumeName(volume, flag, value), target: checkMountTarget(target, flag, value) };
}

/** rkt §1.6: pod-wide mounts (`--mount` before the first image) apply to every app; the app's own mount on the same path wins. */
export function mergeMounts(own: readonly MountRequest[], podWide: readonly MountRequest[]): MountRequest[] {
  return [...own, ...podWide.filter((mount) => !own.some((mine) => mine.target === mount.target))];
}

/** Volumes are named once per pod. */
export function checkUniqueVolumes(volumes: readonly Volume[]): void {
  const seen = new Set<string>();
  for (const volume of volumes) {
    if (seen.has(volume.name)) throw new RktError('usage', 'ERR_VOLUME_DUPLICATE', `two volumes are named "${volume.name}"`);
    seen.add(volume.name);
  }
}

/** rkt's implicit name for an image mount point: `/var/lib/data` → `var-lib-data`. */
export function mountPointName(target: string): string {
  const name = target.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return name === '' ? 'root' : name;
}

export interface AppMountsInput {
  appName: string;
  mounts: readonly MountRequest[];
  /** From the image config's `Volumes`, as written there. */
  imageMountPoints: readonly string[];
  /** The pod's volumes; implicit ones are added to it. */
  volumes: Volume[];
}

/**
 * The mounts of one app, in an order where a parent directory is mounted before anything below
 * it. Nested or repeated targets are refused (ACE §7.3.17): they would depend on mount order.
 */
export function resolveAppMounts(input: AppMountsInput): AppMount[] {
  const byName = new Map(input.volumes.map((volume) => [volume.name, volume]));
  const mounts: AppMount[] = [];
  for (const request of input.mounts) {
    const volume = byName.get(request.volume);
    if (!volume) {
      throw new RktError('usage', 'ERR_VOLUME_UNKNOWN', `app "${input.appName}": --mount names volume "${request.volume}", which the pod does not have`, {
        hint: `declare it with --volume=${request.volume},kind=host,source=PATH or --volume=${request.volume},kind=empty`,
      });
    }
    mounts.push({ volume, target: request.target, readOnly: volume.readOnly ?? false });
  }
  for (const raw of input.imageMountPoints) {
    const target = checkMountTarget(raw, 'image volume', raw);
    if (mounts.some((mount) => mount.target === target)) continue;
    const named = byName.get(mountPointName(target));
    if (named) {
      mounts.push({ volume: named, target, readOnly: named.readOnly ?? false });
      continue;
    }
    const implicit: EmptyVolume = { name: `${input.appName}-${mountPointName(target)}`, kind: 'empty', mode: 0o755, uid: 0, gid: 0, copyUp: target };
    if (byName.has(implicit.name)) throw new RktError('usage', 'ERR_VOLUME_DUPLICATE', `the implicit volume ${implicit.name} clashes with a --volume of that name`);
    input.volumes.push(implicit);
    byName.set(implicit.name, implicit);
    mounts.push({ volume: implicit, target, readOnly: false });
  }
  const sorted = [...mounts].sort((a, b) => a.target.length - b.target.length);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = 0; j < i; j++) {
      const outer = sorted[j]!.target;
      const inner = sorted[i]!.target;
      if (inner === outer || inner.startsWith(outer + '/')) {
        throw new RktError('usage', 'ERR_VOLUME_OVERLAP', `app "${input.appName}": mount targets ${outer} and ${inner} overlap`, {
          hint: 'give each volume its own, non-nested path',
        });
      }
    }
  }
  return sorted;
}
