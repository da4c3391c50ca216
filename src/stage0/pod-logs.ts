/**
 * `rkt logs`: an app's output as stage1 kept it, in `logs/<app>/stdout` and `stderr` of the pod
 * directory (each rotated once to `.1` at LOG_MAX_BYTES, see docs/on-disk-format.md). The rotated
 * file comes first. With `follow`, new output is passed on as it is written, across rotations,
 * until the pod has exited.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RktError, isErrnoException } from '../errors/rkt-error.js';
import { readPodManifest } from '../pod/pod-info.js';
import { podPaths } from '../pod/pod-paths.js';
import { PodStore } from '../pod/pod-store.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogsRequest {
  dataDir: string;
  uuid: string;
  app?: string;
  streams: LogStream[];
  follow: boolean;
}

export type LogSink = (stream: LogStream, chunk: Buffer) => void;

const POLL_MS = 100;

function openOptional(file: string): number | undefined {
  try {
    return fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/** Passes on everything from fd's current position to its end. */
function drain(fd: number, stream: LogStream, sink: LogSink): void {
  const buffer = Buffer.alloc(65536);
  for (let n = fs.readSync(fd, buffer); n > 0; n = fs.readSync(fd, buffer)) sink(stream, Buffer.from(buffer.subarray(0, n)));
}

/** One stream of one app, followed across stage1's renames of `stream` to `stream.1`. */
class StreamFollower {
  private fd: number | undefined;

  constructor(private readonly file: string, private readonly stream: LogStream, private readonly sink: LogSink) {}

  start(): void {
    const rotated = openOptional(`${this.file}.1`);
    if (rotated !== undefined) {
      drain(rotated, this.stream, this.sink);
      fs.closeSync(rotated);
    }
    this.fd = openOptional(this.file);
    this.poll();
  }

  poll(): void {
    if (this.fd === undefined) {
      this.fd = openOptional(this.file);
      if (this.fd === undefined) return;
    }
    drain(this.fd, this.stream, this.sink);
    // Rotated since we opened it: what we hold is now `.1` and finished; go on with the new file.
    let current: fs.Stats | undefined;
    try {
      current = fs.statSync(this.file);
    } catch {
      current = undefined;
    }
    if (current && current.ino !== fs.fstatSync(this.fd).ino) {
      drain(this.fd, this.stream, this.sink);
      fs.closeSync(this.fd);
      this.fd = undefined;
      this.poll();
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}

export async function readPodLogs(request: LogsRequest, sink: LogSink): Promise<void> {
  const store = new PodStore(request.dataDir);
  const pod = store.find(request.uuid);
  const apps = (readPodManifest(pod.path)?.apps ?? []).map((app) => app.name);
  let app = request.app;
  if (app === undefined) {
    if (apps.length !== 1) {
      throw new RktError('usage', 'ERR_LOGS_APP_REQUIRED', `pod ${pod.uuid} has ${apps.length} apps; name one with --app`, { hint: `its apps: ${apps.join(', ')}` });
    }
    app = apps[0]!;
  } else if (!apps.includes(app)) {
    throw new RktError('usage', 'ERR_LOGS_APP_UNKNOWN', `pod ${pod.uuid} has no app "${app}"`, { hint: `its apps: ${apps.join(', ')}` });
  }
  const dir = podPaths(pod.path).logDir(app);
  if (!fs.existsSync(dir)) {
    throw new RktError('pod', 'ERR_LOGS_NONE', `pod ${pod.uuid} keeps no logs for app "${app}"`, {
      hint: 'apps run with --interactive write to the terminal only, and pods made by older rkt versions have no logs',
    });
  }
  const followers = request.streams.map((stream) => new StreamFollower(path.join(dir, stream), stream, sink));
  try {
    for (const follower of followers) follower.start();
    if (!request.follow) return;
    // The pod may move (run/ → exited-garbage/ by gc); its lock ends the follow either way.
    while (store.isLocked(store.refresh(pod) ?? pod)) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      for (const follower of followers) follower.poll();
    }
    for (const follower of followers) follower.poll();
  } finally {
    for (const follower of followers) follower.close();
  }
}
