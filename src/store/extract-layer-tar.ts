/**
 * Creates the entries of a layer tar under `/`. It is meant to run in the extraction child after
 * chroot(2) into the layer directory, so every path, symlink and hardlink target is resolved by the
 * kernel inside the layer: `../../etc/passwd`, a symlink to `/etc` or a hardlink to `/etc/passwd`
 * can only ever reach the layer's own files.
 *
 * Decisions:
 *  - character and block devices are skipped: pods get /dev from the runtime, and a device node in
 *    an image is a way to reach host hardware;
 *  - setuid/setgid bits are kept: they are legitimate in images, and apps run with no_new_privs;
 *  - xattrs: `user.*` and `security.capability` are applied; `trusted.*` (overlay's own markers)
 *    and every other `security.*` are dropped;
 *  - a whiteout `.wh.NAME` becomes an overlay whiteout (char device 0:0) named NAME; the opaque
 *    marker `.wh..wh..opq` sets `trusted.overlay.opaque=y` on its directory.
 */
import { closeSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync, writeSync, chmodSync, fchownSync, fchmodSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Extract, Header } from 'tar-stream';
import { lsetxattr, mknodChar, mknodFifo } from '../sys/libc.js';
import { LayerEntryError, classifyWhiteout, normalizeEntryName } from './layer-entry-name.js';
import { extractKeepingRawPax, rawPaxRecords } from './tar-raw-pax.js';

/** More entries than this is an inode bomb, not an image layer. */
export const MAX_LAYER_ENTRIES = 1_000_000;

export interface ExtractionSummary {
  entries: number;
  skippedDevices: number;
  droppedXattrs: number;
}

/**
 * Maps a normalised entry name to the path it creates, or undefined to skip the entry. Used for
 * ACIs, whose tar holds `manifest` and `rootfs/`: only `rootfs/` is the layer. appc has no
 * whiteouts, so with a mapping `.wh.` names are ordinary files.
 */
export type EntryNameMap = (path: string, entry: string, what: string) => string | undefined;

/** The ACI mapping: `rootfs/x` is `/x`; `manifest` is skipped; anything else is refused. */
export const aciRootfsName: EntryNameMap = (path, entry, what) => {
  if (path === '/rootfs') return '/';
  if (path.startsWith('/rootfs/')) return path.slice('/rootfs'.length);
  if (path === '/manifest' && what === 'entry name') return undefined;
  throw new LayerEntryError('ENTRY_NAME_INVALID', `${what} is outside the ACI's rootfs/`, entry);
};

export async function extractLayerTar(input: Readable, mapName?: EntryNameMap): Promise<ExtractionSummary> {
  const summary: ExtractionSummary = { entries: 0, skippedDevices: 0, droppedXattrs: 0 };
  // Directory times are set last: creating entries inside a directory changes its mtime.
  const directoryTimes: { path: string; mtime: Date }[] = [];
  const extractor = extractKeepingRawPax();
  input.pipe(extractor as unknown as NodeJS.WritableStream);
  for await (const entry of extractor) {
    const { header } = entry;
    if (++summary.entries > MAX_LAYER_ENTRIES) {
      throw new LayerEntryError('LIMIT_ENTRIES', `layer has more than ${MAX_LAYER_ENTRIES} entries`, header.name);
    }
    try {
      await createEntry(header, entry, summary, directoryTimes, mapName);
    } catch (error) {
      if (error instanceof LayerEntryError) throw error;
      throw new LayerEntryError((error as NodeJS.ErrnoException).code ?? 'ENTRY_FAILED', (error as Error).message, header.name);
    }
  }
  for (const { path, mtime } of directoryTimes.reverse()) setTimesIfPresent(path, mtime);
  return summary;
}

/** A later entry may have removed the directory (or replaced a parent with a file): nothing to set then. */
function setTimesIfPresent(path: string, mtime: Date): void {
  try {
    lutimesSync(path, mtime, mtime);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
}

async function createEntry(header: Header, content: EntryContent, summary: ExtractionSummary, directoryTimes: { path: string; mtime: Date }[], mapName?: EntryNameMap): Promise<void> {
  const mapped = mapName ? mapName(normalizeEntryName(header.name), header.name, 'entry name') : normalizeEntryName(header.name);
  if (mapped === undefined) {
    content.resume();
    return;
  }
  const path = mapped;
  const whiteout: ReturnType<typeof classifyWhiteout> = mapName ? { kind: 'none' } : classifyWhiteout(path, header.name);
  if (whiteout.kind !== 'none') {
    content.resume();
    if (whiteout.kind === 'opaque') {
      ensureDirectory(whiteout.directory, undefined);
      lsetxattr(whiteout.directory, 'trusted.overlay.opaque', Buffer.from('y'));
    } else if (whiteout.kind === 'remove') {
      ensureParent(whiteout.path);
      removeExisting(whiteout.path);
      mknodChar(whiteout.path, 0, 0, 0);
    }
    return;
  }
  if (path === '/' && header.type !== 'directory') {
    // Replacing "/" would first empty the whole layer.
    throw new LayerEntryError('ENTRY_NAME_INVALID', `a ${String(header.type)} entry cannot replace the layer root`, header.name);
  }
  const { uid, gid } = entryOwner(header);
  const mode = header.mode & 0o7777;
  switch (header.type) {
    case 'directory':
      content.resume();
      ensureDirectory(path, mode);
      lchownSync(path, uid, gid);
      chmodSync(path, mode); // after chown, which clears setgid
      applyXattrs(path, header, summary);
      directoryTimes.push({ path, mtime: header.mtime });
      return;
    case 'file':
    case 'contiguous-file':
      await writeRegularFile(path, header, content, { uid, gid });
      break;
    case 'symlink':
      content.resume();
      replaceWith(path, () => symlinkSync(header.linkname, path));
      lchownSync(path, uid, gid);
      break;
    case 'link': {
      content.resume();
      const what = `hardlink target ${JSON.stringify(header.linkname)}`;
      const normalized = normalizeEntryName(header.linkname, what, header.name);
      const target = mapName ? mapName(normalized, header.name, what) : normalized;
      if (target === undefined) throw new LayerEntryError('ENTRY_LINK_INVALID', `hardlink to ${JSON.stringify(header.linkname)}`, header.name);
      if (target === '/' || target === path) {
        throw new LayerEntryError('ENTRY_LINK_INVALID', `hardlink to ${JSON.stringify(header.linkname)}`, header.name);
      }
      replaceWith(path, () => linkSync(target, path));
      return; // a hardlink shares the target's inode, owner, mode and times
    }
    case 'fifo':
      content.resume();
      replaceWith(path, () => mknodFifo(path, mode));
      lchownSync(path, uid, gid);
      chmodSync(path, mode);
      break;
    case 'character-device':
    case 'block-device':
      content.resume();
      summary.skippedDevices++;
      return;
    default:
      throw new LayerEntryError('ENTRY_TYPE_UNSUPPORTED', `unsupported tar entry type ${String(header.type)}`, header.name);
  }
  applyXattrs(path, header, summary);
  lutimesSync(path, header.mtime, header.mtime);
}

/**
 * The entry's owner. tar-stream reads only the header fields, which hold at most 2097151; larger ids
 * come as PAX `uid`/`gid` records. (uid_t)-1 tells chown "leave unchanged", and base-256 header
 * numbers can be negative, so both are refused.
 */
function entryOwner(header: Header): { uid: number; gid: number } {
  const pax = (header.pax ?? {}) as Record<string, string | undefined>;
  // Number('') is 0 and Number('0x10') is 16: accept plain decimal only.
  const decimal = (text: string): number => (/^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : Number.NaN);
  const owner = { uid: pax.uid === undefined ? header.uid : decimal(pax.uid), gid: pax.gid === undefined ? header.gid : decimal(pax.gid) };
  for (const id of [owner.uid, owner.gid]) {
    if (!Number.isSafeInteger(id) || id < 0 || id > 4294967294) {
      throw new LayerEntryError('ENTRY_OWNER_INVALID', `owner ${pax.uid ?? header.uid}:${pax.gid ?? header.gid} is not a valid uid:gid`, header.name);
    }
  }
  return owner;
}

async function writeRegularFile(path: string, header: Header, content: EntryContent, owner: { uid: number; gid: number }): Promise<void> {
  const mode = header.mode & 0o7777;
  let fd = -1;
  // 'wx' is O_CREAT|O_EXCL: it never follows a symlink at the final component.
  replaceWith(path, () => (fd = openSync(path, 'wx', 0o600)));
  try {
    for await (const chunk of content) {
      const bytes = chunk as Buffer;
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    }
    fchownSync(fd, owner.uid, owner.gid);
    fchmodSync(fd, mode); // after chown, which clears setuid/setgid
    futimesSync(fd, header.mtime, header.mtime);
  } finally {
    closeSync(fd);
  }
}

/** A later entry replaces an earlier one of the same name, whatever either type is. */
function replaceWith(path: string, create: () => void): void {
  ensureParent(path);
  removeExisting(path);
  create();
}

function removeExisting(path: string): void {
  // rm does not follow symlinks: a symlink is unlinked, a directory removed with its contents.
  rmSync(path, { recursive: true, force: true });
}

function ensureParent(path: string): void {
  const parent = path.slice(0, path.lastIndexOf('/')) || '/';
  mkdirSync(parent, { recursive: true, mode: 0o755 });
}

/** Keeps an existing directory (and its contents); replaces anything else of that name. */
function ensureDirectory(path: string, mode: number | undefined): void {
  const existing = lstatOrUndefined(path);
  if (existing?.isDirectory()) return;
  if (existing) removeExisting(path);
  ensureParent(path);
  mkdirSync(path, { mode: mode ?? 0o755 });
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

type EntryContent = Extract extends AsyncIterable<infer Source> ? Source : never;

const XATTR_PREFIX = 'SCHILY.xattr.';

function applyXattrs(path: string, header: Header, summary: ExtractionSummary): void {
  for (const [key, value] of rawPaxRecords(header)) {
    if (!key.startsWith(XATTR_PREFIX)) continue;
    const name = key.slice(XATTR_PREFIX.length);
    if (name.startsWith('user.') || name === 'security.capability') lsetxattr(path, name, value);
    else summary.droppedXattrs++;
  }
}
