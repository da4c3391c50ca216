/**
 * `rkt export [--app=NAME] [--overwrite] UUID FILE`: an exited pod's app, with the changes it made,
 * as an ACI (reference §1.5). The manifest is the app's image manifest with the app section as it
 * ran (exec, user, group, supplementary GIDs, working directory, environment from the pod
 * manifest) and without dependencies or pathWhitelist, since the rootfs is already complete: it is
 * the image's layers (dependencies below) with the app's overlay upper directory on top, stacked
 * read-only by overlayfs in a private mount namespace (overlay-view.ts), so whiteouts remove and
 * opaque directories replace exactly as the app saw it, and written with tar-stream. An app of an
 * OCI image gets a manifest made from its image name. The pod is held with a shared lock meanwhile,
 * so `rkt rm` and gc cannot delete it underneath; a running pod is refused. Needs root.
 */
import fs from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { RktError } from '../errors/rkt-error.js';
import { packTree } from '../image/pack-tree-tar.js';
import { readPodManifest } from '../pod/pod-info.js';
import { APPC_VERSION, type PodManifestApp } from '../pod/pod-manifest.js';
import { podPaths } from '../pod/pod-paths.js';
import { isExitedState } from '../pod/pod-state.js';
import { PodStore } from '../pod/pod-store.js';
import { AC_IDENTIFIER, appcImageManifestSchema } from '../schema/appc-manifest.js';
import { parseJsonDocument } from '../schema/parse-json-document.js';
import { ImageIndex } from '../store/image-index.js';
import { loadStoredImage } from '../store/stored-image.js';
import { prepareStoreDirs } from '../store/store-dirs.js';
import { withStoreInUse } from '../store/store-lock.js';
import { flockFd, unlockFd } from '../sys/libc.js';
import { appcLayerChain, readAppcManifest } from './appc-image.js';
import { isAppcRecord } from '../schema/media-types.js';
import { extractLayers } from './import-image.js';
import { withOverlayView } from './overlay-view.js';
import { resolveStoredImage } from './resolve-stored-image.js';

export interface ExportPodRequest {
  dataDir: string;
  uuid: string;
  app?: string;
  outputPath: string;
  overwrite: boolean;
}

function chooseApp(uuid: string, apps: readonly PodManifestApp[], name: string | undefined): PodManifestApp {
  if (name === undefined) {
    if (apps.length === 1) return apps[0]!;
    throw new RktError('usage', 'ERR_APP_REQUIRED', `pod ${uuid} has ${apps.length} apps (${apps.map((app) => app.name).join(', ')}); choose one`, { hint: 'give --app=NAME' });
  }
  const app = apps.find((candidate) => candidate.name === name);
  if (app === undefined) throw new RktError('usage', 'ERR_APP_NOT_FOUND', `pod ${uuid} has no app "${name}"`, { hint: `its apps: ${apps.map((a) => a.name).join(', ')}` });
  return app;
}

/** The app section as it ran: the image's, with what the pod manifest fixed laid over it. */
function appAsRun(imageApp: Record<string, unknown> | undefined, app: PodManifestApp): Record<string, unknown> {
  const ran = app.app;
  const merged: Record<string, unknown> = { ...(imageApp ?? {}), exec: ran.exec, user: ran.user, group: ran.group, workingDirectory: ran.workingDirectory, environment: ran.environment };
  if (ran.supplementaryGIDs && ran.supplementaryGIDs.length > 0) merged.supplementaryGIDs = ran.supplementaryGIDs;
  else delete merged.supplementaryGIDs;
  return merged;
}

/** An appc name for an OCI image: lower case, other characters as '-'. */
function appcNameFor(imageName: string): string {
  const name = imageName.replace(/^[a-z-]+:(\/\/)?/, '').replace(/[@:].*$/, '').toLowerCase().replace(/[^a-z0-9._~/-]+/g, '-').replace(/([-._~/])[-._~/]+/g, '$1').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return AC_IDENTIFIER.test(name) ? name : 'exported-app';
}

export async function exportPod(request: ExportPodRequest): Promise<void> {
  const { dataDir } = request;
  const store = new PodStore(dataDir);
  const pod = store.find(request.uuid);
  const state = store.state(pod);
  if (!isExitedState(state)) {
    throw new RktError('pod', 'ERR_POD_NOT_EXITED', `pod ${pod.uuid} is ${state}; only an exited pod can be exported`, {
      hint: state === 'running' ? `stop it first: rkt stop ${pod.uuid}` : 'run it, and export it once it has exited',
    });
  }
  if (!request.overwrite && fs.existsSync(request.outputPath)) {
    throw new RktError('usage', 'ERR_OUTPUT_EXISTS', `${request.outputPath} already exists`, { hint: 'use --overwrite to replace it' });
  }
  // A shared lock: the pod still reads as exited, but rm and gc (exclusive) wait for us.
  const lockFd = fs.openSync(pod.path, 'r');
  try {
    if (!flockFd(lockFd, 'shared', false)) throw new RktError('pod', 'ERR_POD_BUSY', `pod ${pod.uuid} is locked by another rkt command (running again, or being removed)`);
    const manifest = readPodManifest(pod.path);
    if (manifest === undefined) throw new RktError('pod', 'ERR_POD_MANIFEST_MISSING', `pod ${pod.uuid} has no pod manifest`);
    const app = chooseApp(pod.uuid, manifest.apps, request.app);
    const upper = podPaths(pod.path).overlayUpper(app.name);
    if (!fs.existsSync(upper)) throw new RktError('pod', 'ERR_POD_NO_OVERLAY', `pod ${pod.uuid}: app "${app.name}" has no overlay directory (${upper})`);
    await withStoreInUse(dataDir, async () => {
      const index = await ImageIndex.openForLookup(dataDir);
      let layers;
      let imageManifest: Record<string, unknown>;
      try {
        const record = resolveStoredImage(index, app.image.id);
        if (isAppcRecord(record)) {
          layers = await appcLayerChain(dataDir, index, record);
          imageManifest = JSON.parse((await readAppcManifest(dataDir, record)).bytes.toString('utf8')) as Record<string, unknown>;
        } else {
          layers = (await loadStoredImage(dataDir, index, record.id)).layers;
          imageManifest = { acKind: 'ImageManifest', acVersion: APPC_VERSION, name: appcNameFor(app.image.name), labels: [{ name: 'os', value: 'linux' }, { name: 'arch', value: 'amd64' }] };
        }
      } finally {
        index.close();
      }
      const out: Record<string, unknown> = { ...imageManifest, app: appAsRun(imageManifest.app as Record<string, unknown> | undefined, app) };
      delete out.dependencies;
      delete out.pathWhitelist;
      parseJsonDocument(Buffer.from(JSON.stringify(out)), appcImageManifestSchema, `the exported manifest of app "${app.name}"`);
      const manifestBytes = Buffer.from(JSON.stringify(out));
      const layerDirs = await extractLayers(dataDir, layers);
      const scratch = await mkdtemp(join((await prepareStoreDirs(dataDir)).tmp, 'export-'));
      const temporary = `${request.outputPath}.rkt-export-${process.pid}`;
      try {
        await withOverlayView([upper, ...[...layerDirs].reverse()], scratch, `pod ${pod.uuid} app "${app.name}"`, async (merged) => {
          const pack = tar.pack();
          const written = pipeline(pack, createWriteStream(temporary, { mode: 0o644 }));
          try {
            pack.entry({ name: 'manifest', size: manifestBytes.length, mode: 0o644, mtime: new Date() }, manifestBytes);
            await packTree(pack, merged, 'rootfs');
            pack.finalize();
            await written;
          } catch (error) {
            pack.destroy();
            await written.catch(() => undefined);
            throw error;
          }
        });
        await rename(temporary, request.outputPath);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    });
  } finally {
    unlockFd(lockFd);
    fs.closeSync(lockFd);
  }
}
