/**
 * What the engine knows about layers as registries see them, as Docker's V2 metadata service:
 * which blobs (compressed or not) carry a diff id, which repositories are known to hold a blob,
 * and how many bytes a layer unpacks to. Pull records both; push reuses a compressed blob instead of compressing a layer again and
 * offers the known repositories of the same registry for a cross-repository mount.
 *
 * Rows are hints: a blob they name may have been garbage-collected (gc calls `forgetBlob`), and a
 * repository may have lost a blob since (the push then falls back to an upload).
 */
import { migrate, type Db } from '../state/index.js';
import type { Digest } from '../util/digest.js';
import type { LayerRecord } from './image-store.js';

const migrations = [
  {
    sql: `CREATE TABLE layer_blobs (
      diff_id TEXT NOT NULL,
      digest TEXT NOT NULL,
      media_type TEXT NOT NULL,
      size INTEGER NOT NULL,
      PRIMARY KEY (diff_id, digest)
    );
    CREATE INDEX layer_blobs_digest ON layer_blobs(digest);
    CREATE TABLE blob_sources (
      digest TEXT NOT NULL,
      repository TEXT NOT NULL,
      PRIMARY KEY (digest, repository)
    );
    CREATE TABLE layer_sizes (
      diff_id TEXT PRIMARY KEY,
      size INTEGER NOT NULL
    );`,
  },
];

export class DistributionMetadata {
  constructor(private readonly db: Db) {}

  init(): void {
    migrate(this.db, 'image-distribution', migrations);
  }

  /** Blobs known to unpack to `diffId`, most recently recorded first. */
  blobsForDiffId(diffId: Digest): LayerRecord[] {
    const rows = this.db
      .prepare('SELECT digest, media_type, size FROM layer_blobs WHERE diff_id = ? ORDER BY rowid DESC')
      .all(diffId) as Array<{ digest: string; media_type: string; size: number }>;
    return rows.map((r) => ({ digest: r.digest as Digest, mediaType: r.media_type, size: r.size, diffId }));
  }

  addLayerBlob(layer: LayerRecord): void {
    this.db
      .prepare('INSERT INTO layer_blobs (diff_id, digest, media_type, size) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(layer.diffId, layer.digest, layer.mediaType, layer.size);
  }

  /** Repositories (`host/path`) known to hold the blob. */
  sourcesOf(digest: Digest): string[] {
    return (this.db.prepare('SELECT repository FROM blob_sources WHERE digest = ? ORDER BY rowid DESC').all(digest) as Array<{ repository: string }>).map(
      (r) => r.repository,
    );
  }

  addSource(digest: Digest, repository: string): void {
    this.db.prepare('INSERT INTO blob_sources (digest, repository) VALUES (?, ?) ON CONFLICT DO NOTHING').run(digest, repository);
  }

  /** Bytes of the files a layer unpacks to (what image sizes add up), when measured. */
  unpackedSize(diffId: Digest): number | undefined {
    return (this.db.prepare('SELECT size FROM layer_sizes WHERE diff_id = ?').get(diffId) as { size: number } | undefined)?.size;
  }

  setUnpackedSize(diffId: Digest, size: number): void {
    this.db.prepare('INSERT INTO layer_sizes (diff_id, size) VALUES (?, ?) ON CONFLICT(diff_id) DO UPDATE SET size = excluded.size').run(diffId, size);
  }

  /** Drops what is known about a blob that is no longer stored. */
  forgetBlob(digest: Digest): void {
    this.db.prepare('DELETE FROM layer_blobs WHERE digest = ?').run(digest);
  }
}
