/**
 * Writes a directory tree into a tar-stream pack, under a prefix: directories, regular files
 * (streamed), symlinks, hard links (a second name of an inode already written becomes a link
 * entry), character and block devices and FIFOs, with their owners, modes and mtimes. Sockets are
 * skipped (a tar cannot hold them). Names are sorted, so the same tree gives the same entries.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pack } from 'tar-stream';

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff & 0xfffff);
}

function writeEntry(pack: Pack, header: Parameters<Pack['entry']>[0], file?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    if (file === undefined) {
      pack.entry(header, Buffer.alloc(0), done);
      return;
    }
    const entry = pack.entry(header, done);
    const source = createReadStream(file);
    source.on('error', (error) => {
      entry.destroy(error);
      reject(error);
    });
    source.pipe(entry);
  });
}

/** Adds `root`'s contents under `prefix` (e.g. `rootfs`), `prefix` itself as root's directory entry. */
export async function packTree(pack: Pack, root: string, prefix: string): Promise<void> {
  const links = new Map<string, string>();
  const walk = async (path: string, name: string): Promise<void> => {
    const stat = await lstat(path);
    const common = { name, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, mtime: stat.mtime };
    if (stat.isDirectory()) {
      await writeEntry(pack, { ...common, type: 'directory' });
      for (const child of (await readdir(path)).sort()) await walk(join(path, child), `${name}/${child}`);
      return;
    }
    const inode = `${stat.dev}:${stat.ino}`;
    if (stat.nlink > 1 && !stat.isSymbolicLink()) {
      const first = links.get(inode);
      if (first !== undefined) {
        await writeEntry(pack, { ...common, type: 'link', linkname: first, size: 0 });
        return;
      }
      links.set(inode, name);
    }
    if (stat.isFile()) await writeEntry(pack, { ...common, type: 'file', size: stat.size }, path);
    else if (stat.isSymbolicLink()) await writeEntry(pack, { ...common, type: 'symlink', linkname: await readlink(path) });
    else if (stat.isCharacterDevice() || stat.isBlockDevice()) {
      await writeEntry(pack, { ...common, type: stat.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(stat.rdev), devminor: minor(stat.rdev) });
    } else if (stat.isFIFO()) await writeEntry(pack, { ...common, type: 'fifo' });
  };
  await walk(root, prefix);
}
