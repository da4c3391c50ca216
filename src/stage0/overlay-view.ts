/**
 * A read-only overlayfs view of some directories, stacked as a pod sees them (whiteouts remove,
 * opaque directories replace), mounted in a private mount namespace so nothing leaks into the
 * host's mount table and nothing is left mounted if rkt dies: `unshare -m` runs a shell that mounts
 * the view and then waits on its stdin. This process reads the view through that shell's root,
 * `/proc/<pid>/root/…`, which resolves paths in the shell's mount namespace. Closing the shell's
 * stdin ends it, and the namespace with its mount goes with it. Used by `rkt image render` and
 * `rkt export`. Needs root.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RktError } from '../errors/rkt-error.js';

/** Mounts `lowerDirs` (topmost first) read-only under `scratch`, calls `use` with the merged tree's path, then unmounts. */
export async function withOverlayView<T>(lowerDirs: readonly string[], scratch: string, what: string, use: (merged: string) => Promise<T>): Promise<T> {
  const merged = join(scratch, 'merged');
  const empty = join(scratch, 'empty');
  await mkdir(merged, { recursive: true });
  await mkdir(empty, { recursive: true });
  // overlayfs needs two lower directories when there is no upper one.
  const lower = [...lowerDirs, empty].join(':');
  const script = 'mount -t overlay overlay -o "ro,lowerdir=$1" "$2" && echo ready && read -r _';
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', lower, merged], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const failed = (detail: string) => new RktError('system', 'ERR_OVERLAY_VIEW_FAILED', `${what}: cannot mount its overlay view: ${detail}`);
  const ready = await new Promise<boolean>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) resolve(true);
    });
    child.on('error', (error) => reject(failed(`cannot run unshare: ${error.message}`)));
    void closed.then(() => resolve(false));
  });
  if (!ready) {
    await closed;
    throw failed(stderr.trim() || 'the mount namespace helper exited');
  }
  try {
    return await use(`/proc/${child.pid}/root${merged}`);
  } finally {
    child.stdin.end();
    await closed;
  }
}
