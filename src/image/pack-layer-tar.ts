/**
 * Builds an uncompressed layer tar from a list of entries, byte-for-byte reproducible (fixed
 * mtimes, entries in the order given). Names are written exactly as given, so tests can also build
 * hostile layers (`../x`, absolute names, device nodes) with it.
 */
import { pack, type Header } from 'tar-stream';

export type LayerEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

export interface LayerEntry {
  path: string;
  type: LayerEntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  content?: string | Buffer;
  /** Symlink target, or the entry name a hardlink points at. */
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
  /** Written as PAX `SCHILY.xattr.<name>` records, as GNU tar and Docker do. */
  xattrs?: Record<string, string>;
  /** Other PAX records as they are, e.g. `uid` for ids past the header's 2097151. */
  pax?: Record<string, string>;
}

/** Reproducible builds want a fixed time; 1 s past the epoch keeps tools that treat 0 as "unset" happy. */
const FIXED_MTIME = new Date(1000);

const TAR_TYPE: Record<LayerEntryType, Header['type']> = {
  file: 'file',
  dir: 'directory',
  symlink: 'symlink',
  hardlink: 'link',
  'char-device': 'character-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

export async function packLayerTar(entries: LayerEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const header: Partial<Header> & { name: string } = {
      name: entry.path,
      type: TAR_TYPE[entry.type],
      mode: entry.mode ?? defaultMode(entry.type),
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      mtime: FIXED_MTIME,
      linkname: entry.linkTarget ?? '',
      devmajor: entry.devMajor ?? 0,
      devminor: entry.devMinor ?? 0,
    };
    if (entry.xattrs || entry.pax) {
      const xattrs = Object.entries(entry.xattrs ?? {}).map(([k, v]) => [`SCHILY.xattr.${k}`, v]);
      header.pax = { ...entry.pax, ...Object.fromEntries(xattrs) };
    }
    const content = entry.type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      archive.entry(header, content, (error) => (error ? reject(error) : resolve()));
    });
  }
  archive.finalize();
  await collected;
  return Buffer.concat(chunks);
}

function defaultMode(type: LayerEntryType): number {
  return type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644;
}
