/**
 * Unpacks an image archive (a tar of an OCI layout, or a `docker save` tarball; optionally gzipped)
 * into a fresh directory that rkt made, refusing anything hostile. Only regular files and directories
 * are created, at names checked to be plain relative paths: no `..`, no absolute names, no
 * duplicates, so nothing can be created outside the directory (no symlink is ever created in it for a
 * later entry to follow). Symlinks and hardlinks are not created either: they are returned as aliases
 * (archive name → archive name), resolved lexically inside the archive, for the caller to follow.
 * Devices, FIFOs and other entry types are refused.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { RktError, isErrnoException } from '../errors/rkt-error.js';

export const MAX_ARCHIVE_ENTRIES = 10_000;
const MAX_NAME_LENGTH = 4096;

export interface UnpackedArchive {
  /** Regular files written, by archive name (normalized, e.g. `blobs/sha256/ab…`). */
  files: Set<string>;
  /** Symlinks and hardlinks, by archive name, to the archive name they point at. */
  aliases: Map<string, string>;
}

export interface UnpackOptions {
  archivePath: string;
  destDir: string;
  /** Whether to keep a regular file with this (normalized) name; others are skipped. */
  keep: (name: string) => boolean;
}

function invalid(archivePath: string, message: string): RktError {
  return new RktError('image', 'ERR_IMAGE_ARCHIVE_INVALID', `image archive ${archivePath}: ${message}`, {
    hint: 'the archive is corrupt or hostile; rkt reads plain tars of an OCI layout or of `docker save` output',
  });
}

/** `./a//b/` → `a/b`; undefined for names that could leave the directory or are not plain. */
export function normalizeArchiveName(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || name.includes('\0') || name.startsWith('/')) return undefined;
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) return undefined;
  return parts.join('/');
}

/** Where a symlink in the archive points, as an archive name; undefined if it leaves the archive. */
function resolveLinkTarget(linkName: string, target: string, hard: boolean): string | undefined {
  if (target.startsWith('/')) return undefined;
  const joined = hard ? target : posix.join(posix.dirname(linkName), target);
  const normal = posix.normalize(joined);
  if (normal.startsWith('../') || normal === '..') return undefined;
  return normalizeArchiveName(normal);
}

async function openArchive(archivePath: string): Promise<Readable> {
  const handle = await open(archivePath, 'r').catch((error: unknown) => {
    if (isErrnoException(error, 'ENOENT')) throw new RktError('image', 'ERR_IMAGE_ARCHIVE_NOT_FOUND', `image archive ${archivePath} does not exist`);
    throw error;
  });
  const head = Buffer.alloc(2);
  await handle.read(head, 0, 2, 0);
  await handle.close();
  const raw = createReadStream(archivePath);
  if (head[0] !== 0x1f || head[1] !== 0x8b) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

export async function unpackImageArchive(options: UnpackOptions): Promise<UnpackedArchive> {
  const { archivePath, destDir } = options;
  const files = new Set<string>();
  const aliases = new Map<string, string>();
  const seen = new Set<string>();
  const extract = tar.extract();
  let count = 0;
  extract.on('entry', (header, stream, next) => {
    const fail = (error: Error) => {
      stream.resume();
      next(error);
    };
    if (++count > MAX_ARCHIVE_ENTRIES) return fail(invalid(archivePath, `more than ${MAX_ARCHIVE_ENTRIES} entries`));
    const name = normalizeArchiveName(header.name);
    if (name === undefined) return fail(invalid(archivePath, `entry ${JSON.stringify(header.name.slice(0, 200))} is absolute or leaves the archive`));
    if (name !== '' && seen.has(name)) return fail(invalid(archivePath, `entry ${JSON.stringify(name)} appears twice`));
    seen.add(name);
    switch (header.type) {
      case 'directory':
        stream.resume();
        return next();
      case 'symlink':
      case 'link': {
        const target = resolveLinkTarget(name, header.linkname ?? '', header.type === 'link');
        if (target === undefined) return fail(invalid(archivePath, `link ${JSON.stringify(name)} points outside the archive (${JSON.stringify(header.linkname)})`));
        aliases.set(name, target);
        stream.resume();
        return next();
      }
      case 'file':
      case 'contiguous-file': {
        if (name === '' || !options.keep(name)) {
          stream.resume();
          return next();
        }
        writeEntry(join(destDir, ...name.split('/')), stream).then(() => {
          files.add(name);
          next();
        }, fail);
        return;
      }
      default:
        return fail(invalid(archivePath, `entry ${JSON.stringify(name)} is a ${header.type}; image archives hold only files, directories and links`));
    }
  });
  try {
    await pipeline(await openArchive(archivePath), extract);
  } catch (error) {
    if (error instanceof RktError) throw error;
    throw invalid(archivePath, `cannot be read as a tar: ${(error as Error).message}`);
  }
  return { files, aliases };
}

async function writeEntry(path: string, stream: AsyncIterable<unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await open(path, 'wx', 0o600); // never an existing file, never through a link
  try {
    for await (const chunk of stream) await handle.write(chunk as Buffer);
  } finally {
    await handle.close();
  }
}

/** Follows aliases (links) from an archive name to a regular file the archive holds. */
export function resolveArchiveFile(archive: UnpackedArchive, name: string, archivePath: string): string {
  let current = normalizeArchiveName(name);
  for (let hops = 0; current !== undefined && hops < 16; hops++) {
    if (archive.files.has(current)) return current;
    current = archive.aliases.get(current);
  }
  throw invalid(archivePath, `${JSON.stringify(name)} is not a file in the archive`);
}
