/**
 * Docker's copy-up for an implicit volume: the image's content at the mount point is copied into
 * the new, empty volume directory, so the app finds there what its image put there.
 *
 * The image is a stack of extracted layers (overlay form: a whiteout is a 0:0 character device,
 * an opaque directory has trusted.overlay.opaque=y). They are merged here bottom first, never
 * following a symlink: a symlink in a layer is copied as a symlink, and before anything is
 * written, whatever is already at the destination and is not a real directory is removed (rm does
 * not follow symlinks), so an earlier layer's symlink cannot redirect a later layer's files.
 * If a component of the mount point itself is a symlink in some layer, the content it stands for
 * is not looked up (that would mean resolving the image's symlinks on the host): the volume stays
 * empty and the caller is told.
 */
import fs from 'node:fs';
import path from 'node:path';
import { lgetxattr } from '../sys/libc.js';

const OPAQUE_XATTR = 'trusted.overlay.opaque';

export type CopyUpResult = 'copied' | 'absent' | 'symlink-in-path';

function isWhiteout(stat: fs.Stats): boolean {
  return stat.isCharacterDevice() && stat.rdev === 0;
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function clearDirectory(dir: string): void {
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}

/** Copies `from` (a directory of one layer) over `to` (a real directory), entry by entry. */
function mergeDirectory(from: string, to: string): void {
  for (const entry of fs.readdirSync(from)) {
    const source = path.join(from, entry);
    const target = path.join(to, entry);
    const stat = fs.lstatSync(source);
    const existing = lstatOrUndefined(target);
    if (isWhiteout(stat)) {
      if (existing) fs.rmSync(target, { recursive: true, force: true });
      continue;
    }
    if (existing && !(existing.isDirectory() && stat.isDirectory())) fs.rmSync(target, { recursive: true, force: true });
    if (stat.isDirectory()) {
      if (!existing || !existing.isDirectory()) fs.mkdirSync(target);
      else if (isOpaque(source)) clearDirectory(target);
      mergeDirectory(source, target);
    } else if (stat.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(source), target);
    } else if (stat.isFile()) {
      fs.copyFileSync(source, target);
    } else {
      continue; // devices, fifos, sockets: not copied (rkt gives pods their own /dev)
    }
    fs.lchownSync(target, stat.uid, stat.gid);
    if (!stat.isSymbolicLink()) fs.chmodSync(target, stat.mode & 0o7777);
  }
}

function isOpaque(dir: string): boolean {
  return lgetxattr(dir, OPAQUE_XATTR)?.toString() === 'y';
}

/**
 * Fills `volumeDir` (an existing, empty, real directory) with the content at `mountPoint` of the
 * image whose extracted layers are `layerDirs` (bottom first).
 */
export function copyUpFromLayers(layerDirs: readonly string[], mountPoint: string, volumeDir: string): CopyUpResult {
  const components = mountPoint.split('/').filter((part) => part !== '');
  let found = false;
  let top: fs.Stats | undefined;
  for (const layer of layerDirs) {
    let dir = layer;
    let state: 'continue' | 'gone' | 'absent' = 'continue';
    for (let i = 0; i < components.length; i++) {
      dir = path.join(dir, components[i]!);
      const stat = lstatOrUndefined(dir);
      if (!stat) {
        state = 'absent';
        break;
      }
      if (stat.isSymbolicLink()) {
        clearDirectory(volumeDir);
        return 'symlink-in-path';
      }
      if (isWhiteout(stat) || !stat.isDirectory()) {
        // Deleted, or replaced by a file, in this layer: what lower layers had is gone.
        state = 'gone';
        break;
      }
    }
    if (state === 'absent') continue;
    if (state === 'gone') {
      clearDirectory(volumeDir);
      found = false;
      continue;
    }
    if (isOpaque(dir)) clearDirectory(volumeDir);
    found = true;
    top = fs.lstatSync(dir);
    mergeDirectory(dir, volumeDir);
  }
  if (top) {
    // The volume takes the image directory's owner and mode, as Docker does.
    fs.chownSync(volumeDir, top.uid, top.gid);
    fs.chmodSync(volumeDir, top.mode & 0o7777);
  }
  return found ? 'copied' : 'absent';
}
