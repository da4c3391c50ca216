/**
 * `--pod-manifest FILE` (rkt run and prepare): an appc pod manifest replaces the images, app flags,
 * volumes, mounts, ports and environment flags of the command line. Its images must already be in
 * the store (rkt: pull policy "never"); each app names one by ID (`sha256-…`, a unique prefix will
 * do) or by a name the store knows, and gets exactly the exec, user, group, environment and working
 * directory the manifest gives (the image's for what it leaves out).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError, isRktError } from '../errors/rkt-error.js';
import type { NameValue } from '../pod/pod-manifest.js';
import { appcPodManifestSchema, type AppcPodManifest, type AppcVolume } from '../schema/appc-pod-manifest.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';
import { ImageIndex } from '../store/image-index.js';
import { imageIsolators } from './appc-isolators.js';
import { checkMountTarget, type Volume } from './pod-volumes.js';
import type { AppRequest } from './resolve-app.js';
import { formatImageId, resolveStoredImage } from './resolve-stored-image.js';

export interface PodManifestRequest {
  apps: AppRequest[];
  volumes: Volume[];
  /** As `--port` values, NAME:[HOSTIP:]HOSTPORT. */
  ports: string[];
  annotations: NameValue[];
}

/** What the command line gave besides --pod-manifest; rkt refused these with it. */
export interface PodManifestConflicts {
  images: number;
  volumes: boolean;
  mounts: boolean;
  ports: boolean;
  env: boolean;
  pullPolicy?: string;
}

/** rkt's check, word for word: the manifest is the whole pod, so these flags would be silently lost. */
export function checkPodManifestConflicts(given: PodManifestConflicts): void {
  const conflicts = [
    ...(given.images > 0 ? ['images'] : []),
    ...(given.volumes ? ['--volume'] : []),
    ...(given.mounts ? ['--mount'] : []),
    ...(given.ports ? ['--port'] : []),
    ...(given.env ? ['--set-env/--set-env-file/--inherit-env/--environment'] : []),
    ...(given.pullPolicy === 'never' || given.pullPolicy === 'update' ? [`--pull-policy=${given.pullPolicy}`] : []),
  ];
  if (conflicts.length > 0) {
    throw new RktError('usage', 'ERR_POD_MANIFEST_CONFLICT', `conflicting flags set with --pod-manifest: ${conflicts.join(', ')}`, {
      hint: 'the pod manifest describes the whole pod: put the apps, volumes, mounts, ports and environment in it',
    });
  }
}

function invalid(file: string, problem: string): RktError {
  return new RktError('usage', 'ERR_POD_MANIFEST_INVALID', `pod manifest ${file}: ${problem}`);
}

export function parsePodManifestFile(file: string): AppcPodManifest {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new RktError('usage', 'ERR_POD_MANIFEST_UNREADABLE', `cannot read --pod-manifest ${file}: ${(error as Error).message}`);
  }
  try {
    return parseJsonDocument(bytes, appcPodManifestSchema, `pod manifest ${file}`);
  } catch (error) {
    // zod names an unknown key only by its code: say which key it is (a typo, or a field rkt lacks)
    const issue = appcPodManifestSchema.safeParse(safeJson(bytes)).error?.issues[0];
    if (issue?.code === 'unrecognized_keys') {
      const at = issue.path.length > 0 ? issue.path.join('.') : '(document)';
      throw invalid(file, `field ${at}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`);
    }
    if (isRktError(error) && error.code === 'ERR_IMAGE_DOCUMENT_INVALID') throw new RktError('usage', 'ERR_POD_MANIFEST_INVALID', error.message);
    throw error;
  }
}

function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function volumeOf(file: string, volume: AppcVolume, index: number): Volume {
  const field = `volumes.${index}`;
  const readOnly = volume.readOnly === undefined ? {} : { readOnly: volume.readOnly };
  if (volume.kind === 'host') {
    if (volume.source === undefined || !path.isAbsolute(volume.source)) throw invalid(file, `field ${field}.source: kind "host" needs an absolute source path`);
    for (const key of ['mode', 'uid', 'gid'] as const) if (volume[key] !== undefined) throw invalid(file, `field ${field}.${key}: only for kind "empty"`);
    return { name: volume.name, kind: 'host', source: path.normalize(volume.source), recursive: volume.recursive ?? true, ...readOnly };
  }
  for (const key of ['source', 'recursive'] as const) if (volume[key] !== undefined) throw invalid(file, `field ${field}.${key}: only for kind "host"`);
  return { name: volume.name, kind: 'empty', mode: parseInt(volume.mode ?? '0755', 8), uid: volume.uid ?? 0, gid: volume.gid ?? 0, ...readOnly };
}

/** The stored image an app names; with both an ID and a name, they must be the same image. */
function storedImageId(file: string, index: ImageIndex, image: { id?: string | undefined; name?: string | undefined }, field: string): string {
  const lookUp = (text: string, what: string): string => {
    try {
      return resolveStoredImage(index, text).id;
    } catch (error) {
      if (isRktError(error)) {
        throw new RktError('store', 'ERR_POD_MANIFEST_IMAGE', `pod manifest ${file}: field ${field}.${what}: ${error.message}`, {
          hint: 'images of a pod manifest are taken from the store only: rkt fetch them first (rkt image list shows what is there)',
        });
      }
      throw error;
    }
  };
  if (image.id === undefined && image.name === undefined) throw invalid(file, `field ${field}: names no image (give "id" or "name")`);
  const byId = image.id === undefined ? undefined : lookUp(image.id, 'id');
  const byName = image.name === undefined ? undefined : lookUp(image.name, 'name');
  if (byId !== undefined && byName !== undefined && byId !== byName) {
    throw invalid(file, `field ${field}: id ${image.id} and name ${image.name} are different images (${formatImageId(byName, false)} has that name)`);
  }
  return formatImageId((byId ?? byName)!, true);
}

const pairs = (entries: readonly NameValue[] | Record<string, string> | undefined): string[] =>
  Array.isArray(entries) ? entries.map(({ name, value }) => `${name}=${value}`) : Object.entries(entries ?? {}).map(([name, value]) => `${name}=${value}`);

/** Reads and checks the manifest, and finds its images in the store. */
export async function loadPodManifest(file: string, dataDir: string): Promise<PodManifestRequest> {
  const manifest = parsePodManifestFile(file);
  const volumes = (manifest.volumes ?? []).map((volume, i) => volumeOf(file, volume, i));
  const index = await ImageIndex.open(dataDir);
  try {
    const apps = manifest.apps.map((app, i): AppRequest => {
      const field = `apps.${i}`;
      const exec = app.app?.exec;
      const environment = (app.app?.environment ?? []).map(({ name, value }, j) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(file, `field ${field}.app.environment.${j}.name: "${name}" is not a variable name`);
        return `${name}=${value}`;
      });
      // as the flags would give them: they replace the image's isolators of the same kinds
      const isolators = imageIsolators(`pod manifest ${file}: field ${field}.app`, app.app?.isolators ?? []);
      if (isolators.ignored.length > 0) throw invalid(file, `field ${field}.app.isolators: not applied by rkt: ${isolators.ignored.join('; ')}`);
      return {
        image: storedImageId(file, index, app.image, `${field}.image`),
        ...(Object.keys(isolators.isolators).length > 0 ? { isolators: isolators.isolators } : {}),
        name: app.name,
        ...(exec ? { exec: exec[0]!, args: exec.slice(1) } : {}),
        ...(app.app?.user !== undefined ? { user: app.app.user } : {}),
        ...(app.app?.group !== undefined ? { group: app.app.group } : {}),
        ...(app.app?.workingDirectory !== undefined ? { workingDir: app.app.workingDirectory } : {}),
        // an empty list keeps the image user's groups (there is no flag value for "none")
        ...(app.app?.supplementaryGIDs?.length ? { supplementaryGids: app.app.supplementaryGIDs.join(',') } : {}),
        environment,
        ...(app.readOnlyRootFS ? { readonlyRootfs: true } : {}),
        mountRequests: (app.mounts ?? []).map((mount, j) => ({ volume: mount.volume, target: checkMountTarget(mount.path, `pod manifest ${file}: field ${field}.mounts.${j}.path`, mount.path) })),
        annotations: pairs(app.annotations),
        userAnnotations: pairs(app.userAnnotations),
        userLabels: pairs(app.userLabels),
      };
    });
    const ports = (manifest.ports ?? []).map((port) => `${port.name}:${port.hostIP === undefined ? '' : `${port.hostIP}:`}${port.hostPort}`);
    return { apps, volumes, ports, annotations: manifest.annotations ?? [] };
  } finally {
    index.close();
  }
}
