/**
 * `docker save` and `docker load` with Docker's semantics on top of the image store.
 *
 * Load reads the whole archive first (metadata in memory, files into the content store under a
 * lease, so no gc removes them meanwhile), checks it (paths, sizes, config digests, tags), then
 * unpacks each layer into its snapshot while hashing the decompressed bytes against the diff id
 * the config names, and only then inserts every image and tag in one transaction. Whatever fails,
 * what the archive brought and no image took is removed again: the store is left as it was.
 *
 * Save resolves every name before the first byte is sent (so a missing image is an ordinary
 * error), holds a lease on the blobs it reads, and streams the archive as it is consumed.
 */
import { Readable } from 'node:stream';
import type { ContentStore } from '../../content/index.js';
import type { Snapshotter } from '../../snapshots/index.js';
import {
  chainIds,
  mediaTypes,
  planArchive,
  readArchive,
  writeDockerArchive,
  writeOciArchive,
  type ArchiveFile,
  type ArchiveSource,
  type ImageRecord,
  type ImageStore,
  type LayerRecord,
  type LayerUnpacker,
  type Lease,
  type NewImage,
  type PlannedImage,
  type SavedImage,
} from '../../images/index.js';
import { hostPlatform, layerCompression, type Platform } from '../../distribution/index.js';
import { sha256Digest, type Digest } from '../../util/digest.js';
import { InternalError, InvalidArgumentError, NotImplementedError } from '../../util/errors.js';
import {
  familiarString,
  formatReference,
  parseReference,
  repositoryName,
  withDefaultTag,
  type Reference,
} from '../../util/reference.js';
import type { Logger } from '../../util/log.js';
import type { EventBus } from '../events.js';
import type { ContainerStore } from '../container-store.js';
import { decompressedStream, type Compression } from './decompress.js';
import { blobCompression, CountingStream, HashingStream, uncompressedDigest } from './layer-streams.js';

export type ArchiveFormat = 'docker' | 'oci';

/** One progress report while a layer is unpacked (Docker's "Loading layer" bar). */
export interface LoadProgress {
  /** The first 12 hex digits of the layer's diff id. */
  readonly id: string;
  readonly current: number;
  readonly total: number;
}

export interface LoadOptions {
  /** Called while layers unpack; omitted for a quiet load. */
  readonly onProgress?: (p: LoadProgress) => void;
  /** Which image of a multi-platform index to load (default: the host's). */
  readonly platform?: Platform;
}

export interface LoadResult {
  /** Docker's report lines: `Loaded image: busybox:latest`, `Loaded image ID: sha256:…`. */
  readonly lines: string[];
  readonly images: ImageRecord[];
}

export interface ArchiveServiceDeps {
  readonly store: ImageStore;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  readonly containers: ContainerStore;
  readonly unpack: LayerUnpacker;
  readonly events: EventBus;
  readonly log: Logger;
}

const mediaTypeFor: Record<'none' | 'gzip' | 'zstd', string> = {
  none: mediaTypes.ociLayer,
  gzip: mediaTypes.ociLayerGzip,
  zstd: mediaTypes.ociLayerZstd,
};

export class ArchiveService {
  constructor(private readonly deps: ArchiveServiceDeps) {}

  // --- load ---

  async load(input: Readable, opts: LoadOptions = {}): Promise<LoadResult> {
    const { store, content } = this.deps;
    const lease = store.protect();
    try {
      const tar = await decompressedStream(input);
      const tree = await readArchive(tar, {
        storeBlob: async (data) => {
          const info = await content.writeStream(Readable.from(data));
          lease.blobs.add(info.digest);
          return info;
        },
      });
      const plan = await planArchive(tree, {
        platform: opts.platform ?? hostPlatform(),
        readBytes: (f) => (f.bytes ? Promise.resolve(f.bytes) : content.readBytes(f.digest)),
      });
      const newImages: NewImage[] = [];
      for (const img of plan.images) newImages.push(await this.unpackImage(img, lease, opts.onProgress));
      return await this.commitLoad(plan.images, newImages);
    } finally {
      await store.discard(lease, this.containerSnapshots()).catch((err: unknown) => {
        this.deps.log.warn('could not remove what a load left unreferenced', { err: String(err) });
      });
    }
  }

  private containerSnapshots(): Set<string> {
    return new Set(this.deps.containers.all().map((c) => c.SnapshotKey));
  }

  /** Unpacks (or finds unpacked) every layer of one image, each verified against its diff id. */
  private async unpackImage(img: PlannedImage, lease: Lease, onProgress?: (p: LoadProgress) => void): Promise<NewImage> {
    const chain = chainIds(img.layers.map((l) => l.diffId));
    const layers: LayerRecord[] = [];
    for (const [i, layer] of img.layers.entries()) {
      const blob = await this.blobOf(layer.file, lease);
      const key = chain[i]!;
      lease.snapshots.add(key);
      const compression = await blobCompression(() => this.deps.content.readStream(blob));
      if (compression !== 'none' && compression !== 'gzip' && compression !== 'zstd') {
        throw new NotImplementedError(`${compression} compressed layers are not supported (${layer.where})`);
      }
      let unpackedHere = false;
      await this.deps.snapshots.ensureCommitted(key, i === 0 ? null : chain[i - 1]!, async (dir) => {
        const diffId = await this.unpackLayer(blob, layer.file.size, dir, layer.diffId, onProgress);
        if (diffId !== layer.diffId) throw invalidDiffId(i, layer.diffId, diffId);
        unpackedHere = true;
      });
      if (!unpackedHere) {
        // Unpacked before (or by a concurrent load): the archive's blob must still be this layer.
        const diffId = compression === 'none' ? blob : (await uncompressedDigest(() => this.deps.content.readStream(blob))).digest;
        if (diffId !== layer.diffId) throw invalidDiffId(i, layer.diffId, diffId);
      }
      layers.push({ digest: blob, mediaType: mediaTypeFor[compression], size: layer.file.size, diffId: layer.diffId });
    }
    return { config: img.config, configBytes: img.configBytes, layers, refs: img.tags };
  }

  /** The digest of a file's bytes in the content store (a layer the archive named like metadata is written there first). */
  private async blobOf(file: ArchiveFile, lease: Lease): Promise<Digest> {
    if (file.bytes === null) return file.digest;
    const info = await this.deps.content.writeBlob(file.bytes);
    lease.blobs.add(info.digest);
    return info.digest;
  }

  /** Unpacks one layer blob into `dir`; returns the digest of its uncompressed bytes. */
  private async unpackLayer(blob: Digest, size: number, dir: string, diffId: Digest, onProgress?: (p: LoadProgress) => void): Promise<Digest> {
    const id = diffId.slice(7, 19);
    let last = 0;
    const raw = this.deps.content.readStream(blob);
    const counted = onProgress
      ? raw.pipe(
          new CountingStream((n) => {
            // A report per megabyte (and the last one) is plenty for a progress bar.
            if (n - last >= 1 << 20 || n === size) {
              last = n;
              onProgress({ id, current: n, total: size });
            }
          }),
        )
      : raw;
    raw.on('error', (err) => counted.destroy(err));
    onProgress?.({ id, current: 0, total: size });
    const plain = await decompressedStream(counted);
    const hasher = new HashingStream();
    plain.on('error', (err) => hasher.destroy(err));
    // The unpacker destroys what it reads on failure; the file under it must close too.
    hasher.once('close', () => raw.destroy());
    await this.deps.unpack(plain.pipe(hasher), mediaTypes.ociLayer, dir);
    if (!hasher.complete) throw new InternalError(`layer ${diffId} was not read to its end while unpacking`);
    return hasher.digest();
  }

  /** Inserts every image and tag at once, then reports as Docker does. */
  private async commitLoad(planned: readonly PlannedImage[], newImages: readonly NewImage[]): Promise<LoadResult> {
    const { store, events } = this.deps;
    const owners = new Map(store.refs().map((r) => [r.name, r.imageId]));
    const records = await store.addAll(newImages);
    const lines: string[] = [];
    records.forEach((rec, i) => {
      const tags = planned[i]!.tags;
      for (const t of tags) {
        const name = formatReference(t);
        const prev = owners.get(name);
        if (prev && prev !== rec.id) lines.push(`The image ${familiarString(t)} already exists, renaming the old one with ID ${prev} to empty string`);
        owners.set(name, rec.id);
        lines.push(`Loaded image: ${familiarString(t)}`);
      }
      if (tags.length === 0) lines.push(`Loaded image ID: ${rec.id}`);
      events.publish('image', 'load', rec.id, { name: rec.id });
    });
    return { lines, images: records };
  }

  // --- save ---

  /**
   * The archive of `names` in `format`. Names are resolved as `docker save` resolves them: a tag
   * saves that tag, a bare repository every tag it has, an id or digest reference the image
   * without tags. Resolves once every image and blob is found; the stream is read afterwards.
   */
  async save(names: readonly string[], format: ArchiveFormat): Promise<{ stream: Readable; images: ImageRecord[] }> {
    if (names.length === 0) throw new InvalidArgumentError('no image to save: give at least one name or id');
    if (format !== 'docker' && format !== 'oci') throw new InvalidArgumentError(`unknown archive format ${JSON.stringify(format)}: use "docker" or "oci"`);
    const { store, content } = this.deps;
    const selected = this.resolveNames(names);
    const lease = store.protect();
    let handedOver = false;
    try {
      const saved: SavedImage[] = [];
      for (const { img, tags } of selected) {
        lease.blobs.add(img.id);
        for (const l of img.layers) lease.blobs.add(l.digest);
        const configBytes = await content.readBytes(img.id).catch(() => {
          throw new InternalError(`the config of image ${img.id} is missing from the content store`);
        });
        if (sha256Digest(configBytes) !== img.id) throw new InternalError(`the stored config of image ${img.id} does not match its digest`);
        for (const l of img.layers) {
          if (!(await content.has(l.digest))) throw new InternalError(`layer ${l.diffId} of image ${img.id} is missing from the content store`);
        }
        saved.push({ id: img.id, configBytes, config: img.config, layers: img.layers, tags });
      }
      const source = this.archiveSource();
      const stream = format === 'oci' ? writeOciArchive(saved, source) : writeDockerArchive(saved, source);
      stream.once('close', () => lease.release());
      handedOver = true;
      for (const { img } of selected) this.deps.events.publish('image', 'save', img.id, { name: img.id });
      return { stream, images: selected.map((s) => s.img) };
    } finally {
      if (!handedOver) lease.release();
    }
  }

  private resolveNames(names: readonly string[]): Array<{ img: ImageRecord; tags: Reference[] }> {
    const { store } = this.deps;
    const out: Array<{ img: ImageRecord; tags: Reference[] }> = [];
    const add = (img: ImageRecord, tag: Reference | null) => {
      let entry = out.find((o) => o.img.id === img.id);
      if (!entry) out.push((entry = { img, tags: [] }));
      if (tag && !entry.tags.some((t) => formatReference(t) === formatReference(tag))) entry.tags.push(tag);
    };
    for (const name of names) {
      let ref: Reference | null = null;
      if (!/^(sha256:)?[a-f0-9]{64}$/.test(name)) {
        try {
          ref = parseReference(name);
        } catch {
          ref = null; // maybe an id prefix; resolve() below decides
        }
      }
      if (ref && ref.tag === undefined && ref.digest === undefined) {
        // A bare repository: every tag it has (and images it names only by digest, untagged).
        const repo = repositoryName(ref);
        const matches = store.refs().filter((r) => repositoryName(parseReference(r.name)) === repo);
        if (matches.length > 0) {
          for (const m of matches) {
            const mref = parseReference(m.name);
            add(store.get(m.imageId)!, mref.tag !== undefined ? withDefaultTag({ domain: mref.domain, path: mref.path, tag: mref.tag }) : null);
          }
          continue;
        }
      }
      const img = store.resolve(name);
      add(img, ref && ref.tag !== undefined && ref.digest === undefined && store.refsOf(img.id).includes(formatReference(ref)) ? ref : null);
    }
    return out;
  }

  private archiveSource(): ArchiveSource {
    const { content } = this.deps;
    return {
      blob: async (digest) => ({ size: (await content.info(digest)).size, open: () => content.readStream(digest) }),
      layerTar: async (layer) => {
        const info = await content.info(layer.digest);
        const open = () => content.readStream(layer.digest);
        const compression: Compression = layerCompression(layer.mediaType) === 'none' ? 'none' : await blobCompression(open);
        if (compression === 'none') {
          if (layer.digest !== layer.diffId) throw new InternalError(`the uncompressed layer blob ${layer.digest} does not match its diff id ${layer.diffId}`);
          return { size: info.size, open };
        }
        // A tar header needs the size first: one pass to measure (and verify), one to send.
        const plain = await uncompressedDigest(open);
        if (plain.digest !== layer.diffId) throw new InternalError(`layer blob ${layer.digest} does not decompress to its diff id ${layer.diffId}`);
        return {
          size: plain.size,
          open: async () => {
            const raw = open();
            const out = await decompressedStream(raw);
            out.once('close', () => raw.destroy());
            return out;
          },
        };
      },
    };
  }
}

function invalidDiffId(i: number, expected: Digest, got: Digest): InvalidArgumentError {
  return new InvalidArgumentError(`invalid diffID for layer ${i}: expected "${expected}", got "${got}"`);
}
