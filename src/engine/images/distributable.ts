/**
 * The manifest a push sends. Pulled images (origin 'registry') and images pushed before (origin
 * 'engine') send their stored bytes unchanged, so their digest stays the same everywhere. A local
 * image (import, bootstrap) gets a Docker schema 2 manifest the first time it is pushed: each
 * uncompressed layer is gzipped once (AdaptiveGzip: incompressible stretches are stored, the
 * rest deflated) — or a gzip blob already known for its diff id is reused —
 * and the new manifest replaces the local one in the image store, so later pushes send the same.
 */
import type { ContentStore } from '../../content/index.js';
import { layerCompression, mediaTypes, parseManifest, type Descriptor, type ImageManifest } from '../../distribution/index.js';
import type { ImageRecord, ImageStore, LayerRecord } from '../../images/index.js';
import type { Digest } from '../../util/digest.js';
import { InvalidArgumentError, NotFoundError } from '../../util/errors.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { AdaptiveGzip } from './adaptive-gzip.js';
import type { Logger } from '../../util/log.js';

export interface DistributableImage {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
  readonly config: Descriptor;
  /** Bottom layer first, as in the manifest, with the diff ids of the image. */
  readonly layers: readonly LayerRecord[];
}

export interface DistributableDeps {
  readonly store: ImageStore;
  readonly content: ContentStore;
  readonly log: Logger;
  /** zlib level for layers the engine compresses (1 = fastest … 9 = smallest). */
  readonly gzipLevel: number;
}

export class DistributionManifests {
  private readonly lock = new KeyedMutex();

  constructor(private readonly d: DistributableDeps) {}

  /** The manifest to push for `img`, writing one first for a local image. */
  async forImage(img: ImageRecord): Promise<DistributableImage> {
    if (img.manifestOrigin !== 'local') return this.stored(img);
    return this.lock.run(img.id, async () => {
      const current = this.d.store.get(img.id);
      if (!current) throw new NotFoundError(`No such image: ${img.id}`);
      if (current.manifestOrigin !== 'local') return this.stored(current);
      return this.write(current);
    });
  }

  private async stored(img: ImageRecord): Promise<DistributableImage> {
    const m = await this.d.store.manifest(img);
    const parsed = parseManifest(m.bytes, m.mediaType);
    if (parsed.kind !== 'image') throw new InvalidArgumentError(`image ${img.id} has an index as its manifest`);
    const layers = parsed.manifest.layers;
    if (layers.length !== img.layers.length) throw new InvalidArgumentError(`the manifest of image ${img.id} does not match its layers`);
    return {
      bytes: m.bytes,
      mediaType: parsed.mediaType,
      digest: m.digest,
      config: parsed.manifest.config,
      layers: layers.map((l, i) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size, diffId: img.layers[i]!.diffId })),
    };
  }

  private async write(img: ImageRecord): Promise<DistributableImage> {
    // New blobs are garbage to gc until the image row names them.
    const lease = this.d.store.protect();
    try {
      return await this.writeLeased(img, lease.blobs);
    } finally {
      lease.release();
    }
  }

  private async writeLeased(img: ImageRecord, held: Set<string>): Promise<DistributableImage> {
    const layers = await Promise.all(img.layers.map((l) => this.compressed(img, l, held)));
    const zstd = layers.some((l) => layerCompression(l.mediaType) === 'zstd');
    // Docker schema 2 when every layer has a Docker type; zstd layers need an OCI manifest.
    const mediaType = zstd ? mediaTypes.ociManifest : mediaTypes.dockerManifest;
    const configInfo = await this.d.content.info(img.id);
    const config: Descriptor = { mediaType: zstd ? mediaTypes.ociConfig : mediaTypes.dockerConfig, digest: img.id, size: configInfo.size };
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType,
      config,
      layers: layers.map((l): Descriptor => ({ mediaType: zstd ? l.mediaType : dockerLayerType(l.mediaType), digest: l.digest, size: l.size })),
    };
    // Indented as Docker writes its manifests.
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const info = await this.d.content.writeBlob(bytes);
    held.add(info.digest);
    const records = layers.map((l, i) => ({ ...l, mediaType: manifest.layers[i]!.mediaType }));
    this.d.store.setDistributionManifest(img.id, { digest: info.digest, mediaType, layers: records });
    this.d.log.info('wrote a distribution manifest for a local image', { image: img.id, manifest: info.digest });
    return { bytes, mediaType, digest: info.digest, config, layers: records };
  }

  /** A compressed blob for one layer: the layer itself, a known gzip blob, or a new one. */
  private async compressed(img: ImageRecord, l: LayerRecord, held: Set<string>): Promise<LayerRecord> {
    const kind = layerCompression(l.mediaType);
    if (kind === 'gzip' || kind === 'zstd') return l;
    for (const known of this.d.store.distribution.blobsForDiffId(l.diffId)) {
      held.add(known.digest);
      if (layerCompression(known.mediaType) === 'gzip' && (await this.d.content.has(known.digest))) return known;
    }
    if (!(await this.d.content.has(l.digest))) {
      throw new NotFoundError(`layer ${l.diffId} of image ${img.id} is not stored as a blob; cannot push it`);
    }
    const gz = new AdaptiveGzip(this.d.gzipLevel);
    const src = this.d.content.readStream(l.digest);
    src.on('error', (e) => gz.destroy(e));
    const info = await this.d.content.writeStream(src.pipe(gz));
    held.add(info.digest);
    const record: LayerRecord = { digest: info.digest, mediaType: mediaTypes.dockerLayerGzip, size: info.size, diffId: l.diffId };
    this.d.store.distribution.addLayerBlob(record);
    return record;
  }
}

function dockerLayerType(mediaType: string): string {
  switch (layerCompression(mediaType)) {
    case 'gzip':
      return mediaType === mediaTypes.dockerLayerForeign ? mediaType : mediaTypes.dockerLayerGzip;
    case 'none':
      return mediaTypes.dockerLayer;
    default:
      return mediaType;
  }
}
