/**
 * The image index: an embedded SQLite database at `cas/db/index.sqlite` (better-sqlite3) recording
 * every stored image (id = manifest digest), the blobs it is made of, which names refer to which
 * image, and cache data for remote sources. Blobs and extracted layers live in files; the index only
 * says which images exist. Several processes may use it at once: WAL mode, a busy timeout, and every
 * write in one transaction.
 */
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { RktError } from '../errors/rkt-error.js';
import { INDEX_MIGRATIONS, type IndexMigration } from './index-migrations.js';
import { prepareStoreDirs, storeDirs } from './store-dirs.js';

export type SourceKind = 'oci' | 'oci-archive' | 'docker-archive' | 'docker' | 'aci';

export interface StoredBlobRecord {
  role: 'manifest' | 'config' | 'layer';
  digest: string;
  size: number;
  mediaType: string;
  diffId?: string;
}

export interface ImageRecord {
  id: string;
  name: string;
  sourceKind: SourceKind;
  manifestMediaType: string;
  configDigest: string;
  importTime: number;
  lastUsed: number;
  size: number;
  /** The image's name still refers to it (a later fetch of the name did not replace it). */
  latest: boolean;
}

export interface NewImage {
  id: string;
  name: string;
  sourceKind: SourceKind;
  manifestMediaType: string;
  configDigest: string;
  blobs: StoredBlobRecord[];
  now: number;
}

export interface RemoteRecord {
  url: string;
  etag?: string;
  cacheMaxAge?: number;
  downloadTime: number;
  imageId?: string;
}

const BUSY_TIMEOUT_MS = 30_000;

let sqlite: { Database: typeof Database; addon: string | undefined } | undefined;

/**
 * better-sqlite3, loaded when an index is first opened rather than when the CLI starts (commands
 * that never open the index, such as `rkt rm` or `rkt status`, skip it). Its addon is handed over
 * directly (the `nativeBinding` option): the default lookup goes through the `bindings` package,
 * which walks a dozen candidate paths and reads package.json files on every start. A build that
 * puts the addon elsewhere falls back to that lookup.
 */
function loadSqlite(): { Database: typeof Database; addon: string | undefined } {
  if (sqlite) return sqlite;
  const require = createRequire(import.meta.url);
  const database = require('better-sqlite3') as typeof Database;
  let addon: string | undefined;
  try {
    addon = require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    addon = undefined;
  }
  sqlite = { Database: database, addon };
  return sqlite;
}

function openDatabase(path: string): Database.Database {
  const { Database: Sqlite, addon } = loadSqlite();
  return new Sqlite(path, { timeout: BUSY_TIMEOUT_MS, ...(addon === undefined ? {} : { nativeBinding: addon }) });
}

interface ImageRow {
  id: string;
  name: string;
  source_kind: SourceKind;
  manifest_media_type: string;
  config_digest: string;
  import_time: number;
  last_used: number;
  size: number;
  latest: number;
}

const SELECT_IMAGES = `SELECT images.*, EXISTS (SELECT 1 FROM refs WHERE refs.name = images.name AND refs.image_id = images.id) AS latest FROM images`;

function toRecord(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    name: row.name,
    sourceKind: row.source_kind,
    manifestMediaType: row.manifest_media_type,
    configDigest: row.config_digest,
    importTime: row.import_time,
    lastUsed: row.last_used,
    size: row.size,
    latest: row.latest === 1,
  };
}

export function indexPath(dataDir: string): string {
  return join(storeDirs(dataDir).db, 'index.sqlite');
}

export class ImageIndex {
  private constructor(private readonly db: Database.Database) {}

  /** Opens (creating and migrating as needed) the index of the store under `dataDir`. */
  static async open(dataDir: string, migrations: readonly IndexMigration[] = INDEX_MIGRATIONS): Promise<ImageIndex> {
    const dirs = await prepareStoreDirs(dataDir);
    const path = indexPath(dataDir);
    const db = openDatabase(path);
    try {
      if (dirs.groupShared) await chmod(path, 0o660).catch(() => undefined);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      migrate(db, path, migrations);
      return new ImageIndex(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Opens the index only if the store has one; read-only commands never create a store. */
  static async openExisting(dataDir: string): Promise<ImageIndex | undefined> {
    return existsSync(indexPath(dataDir)) ? ImageIndex.open(dataDir) : undefined;
  }

  /** Opens the index of a store that must exist already: for commands that name a stored image. */
  static async openForLookup(dataDir: string): Promise<ImageIndex> {
    const index = await ImageIndex.openExisting(dataDir);
    if (index === undefined) {
      throw new RktError('store', 'ERR_IMAGE_NOT_IN_STORE', `the store in ${dataDir} holds no images`, { hint: 'fetch one first: rkt fetch IMAGE' });
    }
    return index;
  }

  close(): void {
    this.db.close();
  }

  formatVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Records an image (or refreshes one already known) and points its name at it, atomically. */
  recordImage(image: NewImage): ImageRecord {
    const size = image.blobs.reduce((sum, blob) => sum + blob.size, 0);
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO images (id, name, source_kind, manifest_media_type, config_digest, import_time, last_used, size)
           VALUES (@id, @name, @sourceKind, @manifestMediaType, @configDigest, @now, @now, @size)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, source_kind = excluded.source_kind`,
        )
        .run({ id: image.id, name: image.name, sourceKind: image.sourceKind, manifestMediaType: image.manifestMediaType, configDigest: image.configDigest, now: image.now, size });
      this.db.prepare('DELETE FROM image_blobs WHERE image_id = ?').run(image.id);
      const insertBlob = this.db.prepare('INSERT INTO image_blobs (image_id, position, role, digest, size, media_type, diff_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
      image.blobs.forEach((blob, position) => insertBlob.run(image.id, position, blob.role, blob.digest, blob.size, blob.mediaType, blob.diffId ?? null));
      this.db
        .prepare('INSERT INTO refs (name, image_id, updated) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET image_id = excluded.image_id, updated = excluded.updated')
        .run(image.name, image.id, image.now);
    }).immediate();
    return this.get(image.id)!;
  }

  get(id: string): ImageRecord | undefined {
    const row = this.db.prepare(`${SELECT_IMAGES} WHERE id = ?`).get(id) as ImageRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** The image a name refers to. */
  findByName(name: string): ImageRecord | undefined {
    const ref = this.db.prepare('SELECT image_id FROM refs WHERE name = ?').get(name) as { image_id: string } | undefined;
    return ref === undefined ? undefined : this.get(ref.image_id);
  }

  /** Images whose id starts with `prefix` (`sha256:…`). */
  findByIdPrefix(prefix: string): ImageRecord[] {
    const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    return (this.db.prepare(`${SELECT_IMAGES} WHERE id LIKE ? ESCAPE '\\'`).all(`${escaped}%`) as ImageRow[]).map(toRecord);
  }

  list(): ImageRecord[] {
    return (this.db.prepare(`${SELECT_IMAGES} ORDER BY import_time`).all() as ImageRow[]).map(toRecord);
  }

  blobsOf(id: string): StoredBlobRecord[] {
    const rows = this.db.prepare('SELECT role, digest, size, media_type, diff_id FROM image_blobs WHERE image_id = ? ORDER BY position').all(id) as {
      role: StoredBlobRecord['role'];
      digest: string;
      size: number;
      media_type: string;
      diff_id: string | null;
    }[];
    return rows.map((row) => ({ role: row.role, digest: row.digest, size: row.size, mediaType: row.media_type, ...(row.diff_id ? { diffId: row.diff_id } : {}) }));
  }

  touch(id: string, now: number): void {
    this.db.prepare('UPDATE images SET last_used = ? WHERE id = ?').run(now, id);
  }

  /** Removes images and the names that refer to them; their blobs stay until the store is swept. */
  remove(ids: readonly string[]): void {
    this.db.transaction(() => {
      const remove = this.db.prepare('DELETE FROM images WHERE id = ?');
      for (const id of ids) remove.run(id);
    }).immediate();
  }

  /** Every blob digest and layer diff_id some image in the index needs. */
  liveContent(): { digests: Set<string>; diffIds: Set<string> } {
    const rows = this.db.prepare('SELECT digest, diff_id FROM image_blobs').all() as { digest: string; diff_id: string | null }[];
    return { digests: new Set(rows.map((r) => r.digest)), diffIds: new Set(rows.flatMap((r) => (r.diff_id ? [r.diff_id] : []))) };
  }

  getRemote(url: string): RemoteRecord | undefined {
    const row = this.db.prepare('SELECT * FROM remote WHERE url = ?').get(url) as
      | { url: string; etag: string | null; cache_max_age: number | null; download_time: number; image_id: string | null }
      | undefined;
    if (row === undefined) return undefined;
    return {
      url: row.url,
      downloadTime: row.download_time,
      ...(row.etag === null ? {} : { etag: row.etag }),
      ...(row.cache_max_age === null ? {} : { cacheMaxAge: row.cache_max_age }),
      ...(row.image_id === null ? {} : { imageId: row.image_id }),
    };
  }

  putRemote(remote: RemoteRecord): void {
    this.db
      .prepare(
        `INSERT INTO remote (url, etag, cache_max_age, download_time, image_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, cache_max_age = excluded.cache_max_age, download_time = excluded.download_time, image_id = excluded.image_id`,
      )
      .run(remote.url, remote.etag ?? null, remote.cacheMaxAge ?? null, remote.downloadTime, remote.imageId ?? null);
  }
}

/** Brings the schema up to date in one exclusive transaction; a newer index than this rkt is refused. */
function migrate(db: Database.Database, path: string, migrations: readonly IndexMigration[]): void {
  const known = migrations.at(-1)?.version ?? 0;
  const current = () => db.pragma('user_version', { simple: true }) as number;
  if (current() === known) return;
  db.transaction(() => {
    const version = current(); // again, now that no one else can write
    if (version > known) {
      throw new RktError('store', 'ERR_STORE_FORMAT_NEWER', `the image index ${path} has format version ${version}; this rkt knows versions up to ${known}`, {
        hint: 'use the newer rkt that wrote it, or a different --dir',
      });
    }
    for (const migration of migrations) {
      if (migration.version <= version) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
  }).exclusive();
}
