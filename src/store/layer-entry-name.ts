/**
 * Turns a tar entry name into the path it creates inside the layer, and recognises whiteouts.
 * Extraction runs chrooted into the layer, so nothing here is the last line of defence; it exists
 * so that odd names fail loudly with the entry named instead of being silently re-rooted.
 */

export class LayerEntryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly entry: string,
  ) {
    super(message);
  }
}

/** Deeper than this is a path-depth bomb, not a filesystem. */
export const MAX_PATH_DEPTH = 256;

/**
 * `./a//b/`, `/a/b` and `a/./b` all mean `/a/b`. The layer root itself is `/`. Entries that still
 * contain `..` are refused, as are NUL bytes. Hardlink targets go through the same rules; `what`
 * and `entry` then say which field of which entry was at fault.
 */
export function normalizeEntryName(name: string, what = 'entry name', entry = name): string {
  if (name.includes('\0')) throw new LayerEntryError('ENTRY_NAME_INVALID', `${what} contains a NUL byte`, entry);
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw new LayerEntryError('ENTRY_NAME_INVALID', `${what} contains a ".." component`, entry);
  }
  if (parts.length > MAX_PATH_DEPTH) {
    throw new LayerEntryError('LIMIT_PATH_DEPTH', `${what} is more than ${MAX_PATH_DEPTH} components deep`, entry);
  }
  return `/${parts.join('/')}`;
}

export type Whiteout =
  | { kind: 'none' }
  | { kind: 'opaque'; directory: string }
  | { kind: 'remove'; path: string }
  | { kind: 'aufs-metadata' };

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/** Classifies a normalised path: `.wh.NAME` deletes NAME, `.wh..wh..opq` hides the lower directory. */
export function classifyWhiteout(path: string, entryName: string): Whiteout {
  const slash = path.lastIndexOf('/');
  const parent = path.slice(0, slash) || '/';
  const base = path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === OPAQUE_MARKER) return { kind: 'opaque', directory: parent };
  // aufs kept its own bookkeeping under .wh..wh.*; Docker skips those entries and so does rkt.
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'aufs-metadata' };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === '' || target === '.' || target === '..' || target.includes('/')) {
    throw new LayerEntryError('WHITEOUT_INVALID', `invalid whiteout ${JSON.stringify(base)}`, entryName);
  }
  return { kind: 'remove', path: parent === '/' ? `/${target}` : `${parent}/${target}` };
}
