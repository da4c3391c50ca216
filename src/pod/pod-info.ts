/**
 * What `rkt list` and `rkt status` show about a pod, read from its directory. Every file is
 * optional: a pod may be caught at any point of its life, or half-deleted by a concurrent gc.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isErrnoException } from '../errors/rkt-error.js';
import type { PodManifest } from './pod-manifest.js';
import { podPaths } from './pod-paths.js';
import type { PodState } from './pod-state.js';
import type { PodRef, PodStore } from './pod-store.js';

export interface AppInfo {
  name: string;
  imageName: string;
  imageId: string;
  /** Present once the app has exited. */
  exitCode?: number;
}

export interface PodInfo {
  uuid: string;
  state: PodState;
  path: string;
  created?: Date;
  started?: Date;
  /** Host PID of the pod's PID 1, while it runs. */
  pid?: number;
  apps: AppInfo[];
}

function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrnoException(error, 'ENOENT') || isErrnoException(error, 'ENOTDIR')) return undefined;
    throw error;
  }
}

function mtimeOf(file: string): Date | undefined {
  try {
    return fs.statSync(file).mtime;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return undefined;
    throw error;
  }
}

export function readPodManifest(podDir: string): PodManifest | undefined {
  const text = readOptional(podPaths(podDir).manifest);
  return text === undefined ? undefined : (JSON.parse(text) as PodManifest);
}

function readExitCode(statusDir: string, app: string): number | undefined {
  const text = readOptional(path.join(statusDir, app));
  if (text === undefined || !/^\d+\n?$/.test(text)) return undefined;
  return Number(text.trim());
}

export function readPodInfo(store: PodStore, pod: PodRef): PodInfo {
  const files = podPaths(pod.path);
  const state = store.state(pod);
  const manifest = readPodManifest(pod.path);
  const pidText = readOptional(files.pid);
  const info: PodInfo = {
    uuid: pod.uuid,
    state,
    path: pod.path,
    apps: (manifest?.apps ?? []).map((app) => {
      const exitCode = readExitCode(files.statusDir, app.name);
      return {
        name: app.name,
        imageName: app.image.name,
        imageId: app.image.id,
        ...(exitCode === undefined ? {} : { exitCode }),
      };
    }),
  };
  const created = mtimeOf(files.created) ?? mtimeOf(files.manifest);
  if (created) info.created = created;
  const started = mtimeOf(files.pid);
  if (started) info.started = started;
  if (state === 'running' && pidText && /^\d+\n?$/.test(pidText)) info.pid = Number(pidText.trim());
  return info;
}
