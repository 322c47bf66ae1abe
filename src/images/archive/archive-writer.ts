/**
 * Writes image archives as tar streams: the `docker save` format as Docker 20.10 writes it
 * (`<v1 id>/{VERSION,json,layer.tar}`, `<id>.json`, `manifest.json`, `repositories`; a layer two
 * images share is stored once and linked) and the OCI image layout (`oci-layout`,
 * `blobs/sha256/…`, `index.json` last). Entries are written as the reader consumes the stream.
 */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { digestHex, sha256Digest, type Digest } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { familiarRepository, familiarString, type Reference } from '../../util/reference.js';
import { chainIds } from '../chain-id.js';
import type { LayerRecord } from '../image-store.js';
import type { Descriptor, ImageConfig } from '../oci-types.js';
import { encodeDockerManifest, type DockerManifestItem } from './docker-manifest.js';
import { encodeRepositories, legacyLayers } from './legacy-layers.js';
import { encodeOciIndex, encodeOciLayout, encodeOciManifest, indexDescriptors } from './oci-layout.js';

export interface SavedImage {
  readonly id: Digest;
  /** The config as stored (its digest is `id`). */
  readonly configBytes: Buffer;
  readonly config: ImageConfig;
  readonly layers: readonly LayerRecord[];
  /** Tags to record, each with a tag and no digest. */
  readonly tags: readonly Reference[];
}

export interface SizedStream {
  readonly size: number;
  /** Opens the bytes; called once, when the entry is written. */
  open(): Readable | Promise<Readable>;
}

export interface ArchiveSource {
  /** A layer's uncompressed tar (its sha256 is the layer's diff id). */
  layerTar(layer: LayerRecord): Promise<SizedStream>;
  /** A stored blob's bytes as they are. */
  blob(digest: Digest): Promise<SizedStream>;
}

type Pack = tar.Pack;
type Header = Partial<tar.Header> & { name: string };

async function entry(pack: Pack, header: Header, content?: Buffer | SizedStream): Promise<void> {
  if (content === undefined || Buffer.isBuffer(content)) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content === undefined) pack.entry(header, done);
      else pack.entry({ ...header, size: content.length }, content, done);
    });
    return;
  }
  let failed: Error | undefined;
  let sink!: ReturnType<Pack['entry']>;
  const finished = new Promise<void>((resolve, reject) => {
    sink = pack.entry({ ...header, size: content.size }, (err) => (err ? reject(err) : resolve()));
  });
  finished.catch((err: Error) => (failed ??= err));
  // tar-stream's streams are streamx streams: copy by hand, honouring backpressure.
  for await (const chunk of (await content.open()) as AsyncIterable<Buffer>) {
    if (failed) throw failed;
    if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  (sink as unknown as { end(): void }).end();
  await finished;
}

/** Runs `write` against a fresh pack; the returned stream fails if `write` does. */
function packStream(write: (pack: Pack) => Promise<void>): Readable {
  const pack = tar.pack();
  write(pack).then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  return Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
}

const epoch = new Date(0);

function createdDate(config: ImageConfig): Date {
  const t = config.created ? Date.parse(config.created) : NaN;
  return Number.isFinite(t) && t > 0 ? new Date(t) : epoch;
}

/** The `docker save` archive of `images` (Docker 20.10's layout). */
export function writeDockerArchive(images: readonly SavedImage[], source: ArchiveSource): Readable {
  for (const img of images) if (img.layers.length === 0) throw new InvalidArgumentError('empty export - not implemented');
  return packStream(async (pack) => {
    const items: DockerManifestItem[] = [];
    const repos = new Map<string, Map<string, string>>();
    const writtenV1 = new Set<string>();
    /** diff id → path of the layer.tar holding it. */
    const layerPaths = new Map<Digest, string>();
    for (const img of images) {
      const mtime = createdDate(img.config);
      const legacy = legacyLayers(img.config, chainIds(img.layers.map((l) => l.diffId)));
      const paths: string[] = [];
      for (const [i, layer] of img.layers.entries()) {
        const { v1Id, json } = legacy[i]!;
        const path = `${v1Id}/layer.tar`;
        paths.push(path);
        if (writtenV1.has(v1Id)) continue;
        writtenV1.add(v1Id);
        await entry(pack, { name: `${v1Id}/`, type: 'directory', mode: 0o755, mtime });
        await entry(pack, { name: `${v1Id}/VERSION`, mode: 0o644, mtime }, Buffer.from('1.0'));
        await entry(pack, { name: `${v1Id}/json`, mode: 0o644, mtime }, json);
        const earlier = layerPaths.get(layer.diffId);
        if (earlier) {
          await entry(pack, { name: path, type: 'symlink', linkname: `../${earlier}`, mode: 0o777, mtime });
        } else {
          await entry(pack, { name: path, mode: 0o644, mtime }, await source.layerTar(layer));
          layerPaths.set(layer.diffId, path);
        }
      }
      const configName = `${digestHex(img.id)}.json`;
      await entry(pack, { name: configName, mode: 0o644, mtime }, img.configBytes);
      const top = legacy[legacy.length - 1]!.v1Id;
      for (const t of img.tags) {
        const name = familiarRepository(t);
        if (!repos.has(name)) repos.set(name, new Map());
        repos.get(name)!.set(t.tag!, top);
      }
      items.push({ Config: configName, RepoTags: img.tags.map((t) => familiarString(t)), Layers: paths });
    }
    if (repos.size > 0) await entry(pack, { name: 'repositories', mode: 0o644, mtime: epoch }, encodeRepositories(repos));
    await entry(pack, { name: 'manifest.json', mode: 0o644, mtime: epoch }, encodeDockerManifest(items));
  });
}

/** The OCI image layout of `images`; blobs are written once each, index.json last. */
export function writeOciArchive(images: readonly SavedImage[], source: ArchiveSource): Readable {
  return packStream(async (pack) => {
    await entry(pack, { name: 'oci-layout', mode: 0o644, mtime: epoch }, encodeOciLayout());
    await entry(pack, { name: 'blobs/', type: 'directory', mode: 0o755, mtime: epoch });
    await entry(pack, { name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime: epoch });
    const written = new Set<Digest>();
    const descriptors: Descriptor[] = [];
    const put = async (digest: Digest, content: Buffer | SizedStream) => {
      if (written.has(digest)) return;
      written.add(digest);
      await entry(pack, { name: `blobs/sha256/${digestHex(digest)}`, mode: 0o644, mtime: epoch }, content);
    };
    for (const img of images) {
      for (const layer of img.layers) if (!written.has(layer.digest)) await put(layer.digest, await source.blob(layer.digest));
      await put(img.id, img.configBytes);
      const manifest = encodeOciManifest({ digest: img.id, size: img.configBytes.length }, img.layers);
      const manifestDigest = sha256Digest(manifest);
      await put(manifestDigest, manifest);
      const platform = { architecture: img.config.architecture, os: img.config.os, ...(img.config.variant ? { variant: img.config.variant } : {}) };
      descriptors.push(...indexDescriptors({ digest: manifestDigest, size: manifest.length }, platform, img.tags));
    }
    await entry(pack, { name: 'index.json', mode: 0o644, mtime: epoch }, encodeOciIndex(descriptors));
  });
}
