/**
 * Test helpers: images made of layer tarballs in memory, written with the archive writers (or
 * by hand, to craft hostile archives), and a blob source backed by a map.
 */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { sha256Digest, type Digest } from '../../util/digest.js';
import { bytesOf } from '../../util/tar/layer-fixtures.js';
import { parseReference, withDefaultTag } from '../../util/reference.js';
import { mediaTypes, type ImageConfig } from '../oci-types.js';
import type { LayerRecord } from '../image-store.js';
import { writeDockerArchive, writeOciArchive, type ArchiveSource, type SavedImage } from './archive-writer.js';

export interface FixtureImage extends SavedImage {
  /** Every blob the image needs, by digest (layers as stored). */
  readonly blobs: ReadonlyMap<Digest, Buffer>;
  /** Uncompressed layer tars by diff id. */
  readonly tars: ReadonlyMap<Digest, Buffer>;
}

export function fixtureImage(opts: { layers: readonly Buffer[]; tags?: readonly string[]; gzip?: boolean; created?: string; cmd?: string[]; labels?: Record<string, string> }): FixtureImage {
  const blobs = new Map<Digest, Buffer>();
  const tars = new Map<Digest, Buffer>();
  const layers: LayerRecord[] = opts.layers.map((t) => {
    const diffId = sha256Digest(t);
    tars.set(diffId, t);
    const stored = opts.gzip ? gzipSync(t) : t;
    const digest = sha256Digest(stored);
    blobs.set(digest, stored);
    return { digest, diffId, size: stored.length, mediaType: opts.gzip ? mediaTypes.ociLayerGzip : mediaTypes.ociLayer };
  });
  const created = opts.created ?? '2024-01-02T03:04:05Z';
  const config: ImageConfig = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: opts.cmd ?? ['sh'], ...(opts.labels ? { Labels: opts.labels } : {}) },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created, created_by: `/bin/sh -c step ${i} && echo <done>` })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  return {
    id: sha256Digest(configBytes),
    configBytes,
    config,
    layers,
    tags: (opts.tags ?? []).map((t) => withDefaultTag(parseReference(t))),
    blobs,
    tars,
  };
}

export function fixtureSource(images: readonly FixtureImage[]): ArchiveSource {
  const blobs = new Map<Digest, Buffer>();
  const tars = new Map<Digest, Buffer>();
  for (const i of images) {
    for (const [d, b] of i.blobs) blobs.set(d, b);
    for (const [d, b] of i.tars) tars.set(d, b);
  }
  const sized = (b: Buffer | undefined, what: string) => {
    if (!b) throw new Error(`fixture has no ${what}`);
    return { size: b.length, open: () => Readable.from([b]) };
  };
  return {
    layerTar: async (l) => sized(tars.get(l.diffId), `layer ${l.diffId}`),
    blob: async (d) => sized(blobs.get(d), `blob ${d}`),
  };
}

export async function dockerArchiveOf(images: readonly FixtureImage[]): Promise<Buffer> {
  return bytesOf(writeDockerArchive(images, fixtureSource(images)));
}

export async function ociArchiveOf(images: readonly FixtureImage[]): Promise<Buffer> {
  return bytesOf(writeOciArchive(images, fixtureSource(images)));
}
