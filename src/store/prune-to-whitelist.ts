/**
 * Cuts an extracted layer down to an appc `pathWhitelist` (appc ace.md "Filesystem Setup", step
 * 3): a path survives if the whitelist names it exactly, and a directory also survives if it leads
 * to one that does (so `/usr/bin/x` keeps `/usr` and `/usr/bin`, with the image's own owners and
 * modes). A whitelisted directory keeps only the entries the whitelist names too, as rkt's
 * renderer matched whole paths only. Symlinks are never followed: one is kept or removed by its
 * own name. The tree is a fresh extraction that nothing else is using.
 */
import { lstat, readdir, rm, utimes } from 'node:fs/promises';
import { posix } from 'node:path';

/** `/a/b/` and `/a//b` are `/a/b`: whitelist entries compared as the paths they name. */
export function normalizeWhitelistPath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

export async function pruneToWhitelist(rootfs: string, whitelist: readonly string[]): Promise<void> {
  const keep = new Set(whitelist.map(normalizeWhitelistPath));
  const leadsToKept = new Set<string>();
  for (const path of keep) for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) leadsToKept.add(dir);
  await pruneDirectory(rootfs, '', keep, leadsToKept);
}

async function pruneDirectory(rootfs: string, dir: string, keep: ReadonlySet<string>, leadsToKept: ReadonlySet<string>): Promise<void> {
  const hostDir = rootfs + (dir || '/');
  // Removing entries changes the directory's times; the image's are put back afterwards.
  const times = await lstat(hostDir);
  for (const entry of await readdir(hostDir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() && (keep.has(path) || leadsToKept.has(path))) await pruneDirectory(rootfs, path, keep, leadsToKept);
    else if (!keep.has(path)) await rm(rootfs + path, { recursive: true, force: true });
  }
  await utimes(hostDir, times.atime, times.mtime);
}
