/**
 * Images: records in SQLite (`images`, `image_refs`), bytes in the content store, unpacked
 * layers in the snapshotter. An image's id is its config digest, as Docker's.
 *
 * An image is inserted only after its config, manifest and layer blobs are stored and its layers
 * unpacked, in one transaction with its references; a crash before that leaves only blobs and
 * snapshots that nothing references, which `gc` removes.
 *
 * Every image has a manifest blob. Its origin says whether it can be pushed as it is:
 * - 'registry': the bytes a registry (or an archive) served, kept verbatim, so the manifest digest
 *   (RepoDigests) and the compressed layer blobs stay what the registry knows;
 * - 'engine': a distribution manifest the engine wrote for a push of a local image (Docker schema
 *   2 with gzip layers), kept so every later push sends the same bytes;
 * - 'local': a manifest describing the image as stored (layers possibly uncompressed); a push
 *   first makes an 'engine' manifest from it (setDistributionManifest).
 *
 * Blobs and snapshots that an operation is still assembling (a pull or a load unpacking layers,
 * a push or a save reading blobs) are protected from `gc` by a lease (`protect`); an image row
 * only references what is complete. Leases live in memory only, so after a crash what an
 * interrupted operation left is ordinary garbage.
 */
import type { Readable } from 'node:stream';
import { migrate, type Db } from '../state/index.js';
import type { ContentStore } from '../content/index.js';
import type { Snapshotter } from '../snapshots/index.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../util/errors.js';
import type { Digest } from '../util/digest.js';
import {
  parseReference,
  withDefaultTag,
  formatReference,
  familiarString,
  type Reference,
} from '../util/reference.js';
import type { Logger } from '../util/log.js';
import { chainIds } from './chain-id.js';
import { DistributionMetadata } from './distribution-metadata.js';
import { Leases, type Lease } from './leases.js';
import { mediaTypes, type Descriptor, type ImageConfig, type Manifest } from './oci-types.js';

export interface LayerRecord {
  /** Blob digest of the layer as stored (compressed or not). */
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly diffId: Digest;
}

export type ManifestOrigin = 'registry' | 'engine' | 'local';

export interface ImageRecord {
  readonly id: Digest;
  readonly manifestDigest: Digest | null;
  /** Media type of the manifest blob (null for records made before it was kept). */
  readonly manifestMediaType: string | null;
  readonly manifestOrigin: ManifestOrigin;
  readonly created: string;
  /** Sum of the uncompressed layer sizes. */
  readonly size: number;
  readonly layers: readonly LayerRecord[];
  readonly config: ImageConfig;
  /** When the image was last tagged (Docker's Metadata.LastTagTime). */
  readonly lastTagTime: string | null;
  readonly parent: string | null;
}

export interface ImageRef {
  /** Normalized: `docker.io/library/busybox:latest` or `…@sha256:…`. */
  readonly name: string;
  readonly imageId: Digest;
}

/** What unpacking a layer measured: the digest of the uncompressed tar and the files' bytes. */
export interface UnpackedLayer {
  readonly diffId: Digest;
  readonly size: number;
}

/** Unpacks one layer blob (any supported compression) into an empty directory (see util/tar applyLayer). */
export type LayerUnpacker = (blob: Readable, mediaType: string, dir: string) => Promise<UnpackedLayer>;

const migrations = [
  {
    sql: `CREATE TABLE images (
      id TEXT PRIMARY KEY,
      manifest_digest TEXT,
      created TEXT NOT NULL,
      size INTEGER NOT NULL,
      layers TEXT NOT NULL,
      config TEXT NOT NULL,
      last_tag_time TEXT,
      parent TEXT
    );
    CREATE TABLE image_refs (
      name TEXT PRIMARY KEY,
      image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
    );
    CREATE INDEX image_refs_image ON image_refs(image_id);`,
  },
  {
    // Pulled images keep the registry's manifest bytes; see ManifestOrigin.
    sql: `ALTER TABLE images ADD COLUMN manifest_media_type TEXT;
    ALTER TABLE images ADD COLUMN manifest_origin TEXT NOT NULL DEFAULT 'local';`,
  },
];

interface ImageRow {
  id: string;
  manifest_digest: string | null;
  manifest_media_type: string | null;
  manifest_origin: string;
  created: string;
  size: number;
  layers: string;
  config: string;
  last_tag_time: string | null;
  parent: string | null;
}

function toRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id as Digest,
    manifestDigest: r.manifest_digest as Digest | null,
    manifestMediaType: r.manifest_media_type,
    manifestOrigin: (r.manifest_origin as ManifestOrigin) ?? 'local',
    created: r.created,
    size: r.size,
    layers: JSON.parse(r.layers) as LayerRecord[],
    config: JSON.parse(r.config) as ImageConfig,
    lastTagTime: r.last_tag_time,
    parent: r.parent,
  };
}

export interface NewImage {
  readonly config: ImageConfig;
  /** The config's exact bytes (a loaded or pulled image's id is their digest); default JSON of `config`. */
  readonly configBytes?: Buffer;
  readonly layers: readonly LayerRecord[];
  /** The manifest as a registry served it, stored verbatim (origin 'registry'). */
  readonly manifest?: { readonly bytes: Buffer; readonly mediaType: string };
  /** Media type of the manifest the store writes when `manifest` is not given. */
  readonly manifestMediaType?: string;
  /** Tags and digest references (`name@sha256:…`, for RepoDigests). */
  readonly refs?: readonly Reference[];
  readonly parent?: string | null;
  /** Unpacked size of all layers; default the sum of the layer blob sizes. */
  readonly size?: number;
}

export type { Lease } from './leases.js';

export class ImageStore {
  private readonly leases = new Leases();
  /** Layer blobs and their known repositories (pull records, push reads). */
  readonly distribution: DistributionMetadata;

  constructor(
    private readonly db: Db,
    private readonly content: ContentStore,
    private readonly snapshots: Snapshotter,
    private readonly unpack: LayerUnpacker,
    private readonly log: Logger,
  ) {
    this.distribution = new DistributionMetadata(db);
  }

  init(): void {
    migrate(this.db, 'images', migrations);
    this.distribution.init();
  }

  list(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY created DESC').all() as ImageRow[]).map(toRecord);
  }

  get(id: Digest): ImageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  refs(): ImageRef[] {
    return (this.db.prepare('SELECT name, image_id FROM image_refs ORDER BY name').all() as { name: string; image_id: string }[]).map(
      (r) => ({ name: r.name, imageId: r.image_id as Digest }),
    );
  }

  refsOf(id: Digest): string[] {
    return (this.db.prepare('SELECT name FROM image_refs WHERE image_id = ? ORDER BY name').all(id) as { name: string }[]).map((r) => r.name);
  }

  /**
   * Finds an image the way Docker does: a reference (`busybox`, `busybox:1`, `x@sha256:…`), a full
   * id (`sha256:<hex>` or `<hex>`), or a unique id prefix.
   */
  resolve(nameOrId: string): ImageRecord {
    const found = this.tryResolve(nameOrId);
    if (!found) throw new NotFoundError(`No such image: ${nameOrId}`);
    return found;
  }

  tryResolve(nameOrId: string): ImageRecord | undefined {
    const hex = nameOrId.startsWith('sha256:') ? nameOrId.slice(7) : nameOrId;
    if (/^[a-f0-9]{64}$/.test(hex)) {
      const img = this.get(`sha256:${hex}` as Digest);
      if (img) return img;
    }
    let ref: Reference | undefined;
    try {
      ref = withDefaultTag(parseReference(nameOrId));
    } catch {
      ref = undefined;
    }
    if (ref) {
      const row = this.db.prepare('SELECT image_id FROM image_refs WHERE name = ?').get(formatReference(ref)) as
        | { image_id: string }
        | undefined;
      if (row) return this.get(row.image_id as Digest);
      if (ref.digest) {
        // `name@digest` also matches an image whose manifest digest is that digest.
        const byManifest = this.db.prepare('SELECT * FROM images WHERE manifest_digest = ?').get(ref.digest) as ImageRow | undefined;
        if (byManifest) return toRecord(byManifest);
      }
    }
    if (/^[a-f0-9]{1,63}$/.test(hex) && !nameOrId.includes(':')) {
      const rows = this.db.prepare("SELECT * FROM images WHERE id LIKE ? LIMIT 2").all(`sha256:${hex}%`) as ImageRow[];
      if (rows.length === 1) return toRecord(rows[0]!);
      if (rows.length > 1) throw new ConflictError(`multiple IDs found with provided prefix: ${nameOrId}`);
    }
    return undefined;
  }

  /**
   * Stores the config and manifest blobs and inserts the image with its references, in one
   * transaction. With `manifest`, the bytes must describe exactly this config and these layers.
   */
  async add(img: NewImage): Promise<ImageRecord> {
    return (await this.addAll([img]))[0]!;
  }

  /**
   * Adds several images at once (a load): every blob is written and every layer checked first,
   * then all rows and references are inserted in one transaction, so either all images appear
   * or none. A reference repeated across the list ends at the last image naming it.
   */
  async addAll(imgs: readonly NewImage[]): Promise<ImageRecord[]> {
    const rows: Array<{
      img: NewImage;
      id: Digest;
      manifestDigest: Digest;
      manifestMediaType: string;
      origin: ManifestOrigin;
      configText: string;
      size: number;
    }> = [];
    for (const img of imgs) rows.push({ img, ...(await this.prepareRow(img)) });
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const r of rows) {
        this.db
          .prepare(
            `INSERT INTO images (id, manifest_digest, manifest_media_type, manifest_origin, created, size, layers, config, last_tag_time, parent)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
          )
          .run(r.id, r.manifestDigest, r.manifestMediaType, r.origin, r.img.config.created ?? now, r.size, JSON.stringify(r.img.layers), r.configText, null, r.img.parent ?? null);
        for (const ref of r.img.refs ?? []) this.setRef(ref, r.id, now);
      }
    })();
    return rows.map((r) => this.get(r.id)!);
  }

  /** Checks one new image and stores its config and manifest blobs; returns its row's values. */
  private async prepareRow(img: NewImage): Promise<{ id: Digest; manifestDigest: Digest; manifestMediaType: string; origin: ManifestOrigin; configText: string; size: number }> {
    const configBytes = img.configBytes ?? Buffer.from(JSON.stringify(img.config));
    const diffIds = img.layers.map((l) => l.diffId);
    if (JSON.stringify(diffIds) !== JSON.stringify(img.config.rootfs.diff_ids)) {
      throw new InvalidArgumentError('image config diff_ids do not match its layers');
    }
    const chain = chainIds(diffIds);
    for (let i = 0; i < img.layers.length; i++) {
      if (!this.snapshots.has(chain[i]!)) throw new NotFoundError(`layer ${diffIds[i]} is not unpacked`);
    }
    const configInfo = await this.content.writeBlob(configBytes);
    let manifestBytes: Buffer;
    let manifestMediaType: string;
    let origin: ManifestOrigin;
    if (img.manifest) {
      const m = JSON.parse(img.manifest.bytes.toString('utf8')) as Manifest;
      const same =
        m.config?.digest === configInfo.digest &&
        Array.isArray(m.layers) &&
        m.layers.length === img.layers.length &&
        m.layers.every((l, i) => l.digest === img.layers[i]!.digest);
      if (!same) throw new InvalidArgumentError('image manifest does not describe its config and layers');
      manifestBytes = img.manifest.bytes;
      manifestMediaType = img.manifest.mediaType;
      origin = 'registry';
    } else {
      manifestMediaType = img.manifestMediaType ?? mediaTypes.ociManifest;
      const docker = manifestMediaType === mediaTypes.dockerManifest;
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: manifestMediaType,
        config: { mediaType: docker ? mediaTypes.dockerConfig : mediaTypes.ociConfig, digest: configInfo.digest, size: configInfo.size },
        layers: img.layers.map((l): Descriptor => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      };
      manifestBytes = Buffer.from(JSON.stringify(manifest));
      origin = 'local';
    }
    const manifestInfo = await this.content.writeBlob(manifestBytes);
    const size = img.size ?? img.layers.reduce((n, l) => n + l.size, 0);
    return { id: configInfo.digest, manifestDigest: manifestInfo.digest, manifestMediaType, origin, configText: configBytes.toString(), size };
  }

  /** Points a tag or digest reference at an image (a digest reference does not count as tagging). */
  addReference(id: Digest, ref: Reference): void {
    if (!this.get(id)) throw new NotFoundError(`No such image: ${id}`);
    this.db.transaction(() => this.setRef(ref, id, new Date().toISOString()))();
  }

  /** The image a normalized reference (`docker.io/library/x:tag`, `…@sha256:…`) points at. */
  lookupReference(ref: Reference): Digest | undefined {
    const row = this.db.prepare('SELECT image_id FROM image_refs WHERE name = ?').get(formatReference(ref)) as { image_id: string } | undefined;
    return row?.image_id as Digest | undefined;
  }

  /** The image's manifest as stored. */
  async manifest(img: ImageRecord): Promise<{ bytes: Buffer; mediaType: string; digest: Digest }> {
    if (!img.manifestDigest) throw new NotFoundError(`image ${img.id} has no manifest`);
    const bytes = await this.content.readBytes(img.manifestDigest);
    const mediaType = img.manifestMediaType ?? ((JSON.parse(bytes.toString('utf8')) as Manifest).mediaType ?? mediaTypes.ociManifest);
    return { bytes, mediaType, digest: img.manifestDigest };
  }

  /**
   * Replaces a local image's manifest by one the engine wrote for distribution (compressed
   * layers); the layer records follow it. The new blobs must be stored already; the old layer
   * blobs become garbage once nothing else references them.
   */
  setDistributionManifest(id: Digest, manifest: { digest: Digest; mediaType: string; layers: readonly LayerRecord[] }): ImageRecord {
    const img = this.get(id);
    if (!img) throw new NotFoundError(`No such image: ${id}`);
    if (JSON.stringify(manifest.layers.map((l) => l.diffId)) !== JSON.stringify(img.layers.map((l) => l.diffId))) {
      throw new InvalidArgumentError('distribution manifest layers do not match the image');
    }
    this.db
      .prepare("UPDATE images SET manifest_digest = ?, manifest_media_type = ?, manifest_origin = 'engine', layers = ? WHERE id = ?")
      .run(manifest.digest, manifest.mediaType, JSON.stringify(manifest.layers), id);
    return this.get(id)!;
  }

  /**
   * Takes a lease: blobs and snapshot keys added to it survive `gc` until it is released. Pulls
   * and loads hold one for what they store before an image row references it, pushes and saves
   * for what they read.
   */
  protect(): Lease {
    return this.leases.take();
  }

  private leased(kind: 'blobs' | 'snapshots', key: string, except?: Lease): boolean {
    return this.leases.holds(kind, key, except);
  }

  /**
   * Removes what an operation stored under `lease` that nothing else uses (no image, no other
   * lease, no container in `inUse`), then releases the lease. A failed pull or load leaves the
   * store as it found it this way; a successful load drops what the archive carried and no image
   * took.
   */
  async discard(lease: Lease, inUse: ReadonlySet<string>): Promise<{ blobs: number; snapshots: number }> {
    try {
      const live = this.liveSets(inUse);
      let snapshots = 0;
      let removed = true;
      while (removed) {
        removed = false;
        for (const key of lease.snapshots) {
          if (live.chains.has(key) || this.leased('snapshots', key, lease) || !this.snapshots.has(key) || this.snapshots.children(key).length) continue;
          await this.snapshots.remove(key);
          lease.snapshots.delete(key);
          snapshots++;
          removed = true;
        }
      }
      let blobs = 0;
      for (const d of lease.blobs) {
        if (live.blobs.has(d) || this.leased('blobs', d, lease)) continue;
        if (await this.content.has(d as Digest)) {
          await this.content.delete(d as Digest);
          this.distribution.forgetBlob(d as Digest);
          blobs++;
        }
      }
      return { blobs, snapshots };
    } finally {
      lease.release();
    }
  }

  private liveSets(inUse: ReadonlySet<string>): { blobs: Set<string>; chains: Set<string> } {
    const blobs = new Set<string>();
    const chains = new Set<string>(inUse);
    for (const img of this.list()) {
      blobs.add(img.id);
      if (img.manifestDigest) blobs.add(img.manifestDigest);
      for (const l of img.layers) blobs.add(l.digest);
      for (const c of chainIds(img.layers.map((l) => l.diffId))) chains.add(c);
    }
    return { blobs, chains };
  }

  private setRef(ref: Reference, id: Digest, now: string): void {
    this.db
      .prepare('INSERT INTO image_refs (name, image_id) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id')
      .run(formatReference(ref), id);
    if (!ref.digest) this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(now, id);
  }

  /** Points `ref` (default tag `latest`) at the image. Returns the previous image of that name, if any. */
  tag(id: Digest, target: string): Digest | undefined {
    const ref = withDefaultTag(parseReference(target));
    if (ref.digest) throw new InvalidArgumentError('refusing to create a tag with a digest reference');
    if (!this.get(id)) throw new NotFoundError(`No such image: ${id}`);
    const name = formatReference(ref);
    const prev = this.db.prepare('SELECT image_id FROM image_refs WHERE name = ?').get(name) as { image_id: string } | undefined;
    this.db.transaction(() => this.setRef(ref, id, new Date().toISOString()))();
    return prev && prev.image_id !== id ? (prev.image_id as Digest) : undefined;
  }

  /** Removes one reference; returns the familiar name removed. */
  untag(nameOrRef: string): { name: string; imageId: Digest } {
    const ref = withDefaultTag(parseReference(nameOrRef));
    const name = formatReference(ref);
    const row = this.db.prepare('SELECT image_id FROM image_refs WHERE name = ?').get(name) as { image_id: string } | undefined;
    if (!row) throw new NotFoundError(`No such image: ${nameOrRef}`);
    this.db.prepare('DELETE FROM image_refs WHERE name = ?').run(name);
    return { name: familiarString(ref), imageId: row.image_id as Digest };
  }

  /** The chain id of the image's top layer (null for an image without layers). */
  topChainId(img: ImageRecord): string | null {
    const chain = chainIds(img.layers.map((l) => l.diffId));
    return chain.length ? chain[chain.length - 1]! : null;
  }

  /** Makes sure every layer of the image is unpacked, unpacking missing ones from their blobs. */
  async ensureUnpacked(img: ImageRecord): Promise<string | null> {
    const chain = chainIds(img.layers.map((l) => l.diffId));
    for (let i = 0; i < chain.length; i++) {
      const key = chain[i]!;
      if (this.snapshots.has(key)) continue;
      const layer = img.layers[i]!;
      this.log.info('unpacking layer', { diffId: layer.diffId, chainId: key });
      await this.snapshots.ensureCommitted(key, i === 0 ? null : chain[i - 1]!, async (dir) => {
        const r = await this.unpack(this.content.readStream(layer.digest), layer.mediaType, dir);
        if (r.diffId !== layer.diffId) throw new InvalidArgumentError(`layer ${layer.digest} unpacks to ${r.diffId}, not its diff id ${layer.diffId}`);
      });
    }
    return chain.length ? chain[chain.length - 1]! : null;
  }

  /** Deletes the image record (the engine checks containers and references first). */
  delete(id: Digest): void {
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }

  /** Images whose parent is `id` (local build parents). */
  children(id: Digest): Digest[] {
    return (this.db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as { id: string }[]).map((r) => r.id as Digest);
  }

  /**
   * Removes blobs and committed snapshots no image references and no lease holds. `inUse` lists
   * snapshot keys still needed by containers. Safe to run at any time: work in progress holds a
   * lease on what it has stored.
   */
  async gc(inUse: ReadonlySet<string>): Promise<{ blobs: number; snapshots: number; bytes: number }> {
    const live = this.liveSets(inUse);
    let snapshots = 0;
    // Remove from the top of each chain down; a parent is removable once its children are gone.
    let removed = true;
    while (removed) {
      removed = false;
      for (const key of this.snapshots.keys('committed')) {
        if (live.chains.has(key) || this.leased('snapshots', key) || this.snapshots.children(key).length) continue;
        await this.snapshots.remove(key);
        snapshots++;
        removed = true;
      }
    }
    let blobs = 0;
    let bytes = 0;
    for (const d of await this.content.list()) {
      if (live.blobs.has(d) || this.leased('blobs', d)) continue;
      const info = await this.content.info(d).catch(() => undefined);
      // Checked after the await: a lease taken meanwhile (a load or pull that just stored it) wins.
      if (this.leased('blobs', d)) continue;
      await this.content.delete(d);
      this.distribution.forgetBlob(d);
      blobs++;
      bytes += info?.size ?? 0;
    }
    return { blobs, snapshots, bytes };
  }
}
