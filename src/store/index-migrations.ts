/**
 * The image index's schema, as a list of migrations. The index's format version is SQLite's
 * `user_version`: the number of migrations applied. A migration is applied inside the same exclusive
 * transaction that raises the version, so a process killed half-way leaves the old version intact.
 * Append new migrations; never edit one that has shipped.
 */
export interface IndexMigration {
  /** The version the index has once this migration is applied. */
  version: number;
  description: string;
  sql: string;
}

export const INDEX_MIGRATIONS: readonly IndexMigration[] = [
  {
    version: 1,
    description: 'images, their blobs, references and remote cache data',
    sql: `
      CREATE TABLE images (
        id TEXT PRIMARY KEY,                 -- the manifest digest, e.g. sha256:<hex>
        name TEXT NOT NULL,                  -- the reference it was last fetched as
        source_kind TEXT NOT NULL,           -- oci, oci-archive, docker-archive, docker
        manifest_media_type TEXT NOT NULL,
        config_digest TEXT NOT NULL,
        import_time INTEGER NOT NULL,        -- milliseconds since the epoch
        last_used INTEGER NOT NULL,
        size INTEGER NOT NULL                -- bytes of its blobs (manifest, config, layers)
      ) STRICT;
      CREATE INDEX images_name ON images(name);
      CREATE TABLE image_blobs (
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,           -- 0 manifest, 1 config, 2.. layers bottom first
        role TEXT NOT NULL,                  -- manifest, config, layer
        digest TEXT NOT NULL,
        size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        diff_id TEXT,                        -- layers only
        PRIMARY KEY (image_id, position)
      ) STRICT;
      CREATE INDEX image_blobs_digest ON image_blobs(digest);
      CREATE TABLE refs (
        name TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        updated INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE remote (
        url TEXT PRIMARY KEY,
        etag TEXT,
        cache_max_age INTEGER,               -- seconds, from Cache-Control: max-age
        download_time INTEGER NOT NULL,
        image_id TEXT REFERENCES images(id) ON DELETE SET NULL
      ) STRICT;
    `,
  },
];
