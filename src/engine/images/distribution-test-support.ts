/**
 * Shared set-up for the pull and push unit tests: a throwaway data root with real content store,
 * snapshots and image store, the real layer extractor (without device or xattr calls), an
 * in-memory registry, and helpers to build images into that registry.
 */
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { openDatabase, type Db } from '../../state/index.js';
import { ContentStore } from '../../content/index.js';
import { Snapshotter } from '../../snapshots/index.js';
import { ImageStore, type LayerUnpacker } from '../../images/index.js';
import { mediaTypes, type Platform } from '../../distribution/index.js';
import { applyLayer, packEntries, type TarEntry } from '../../util/tar/index.js';
import { sha256Digest, type Digest } from '../../util/digest.js';
import { Logger } from '../../util/log.js';
import { EventBus, type EngineEvent } from '../events.js';
import { decompressedStream } from './decompress.js';
import { DistributionService } from './distribution-service.js';
import { MemoryRegistry } from './memory-registry.js';
import type { ProgressOutput } from './progress.js';

export interface Harness {
  dir: string;
  db: Db;
  content: ContentStore;
  snapshots: Snapshotter;
  store: ImageStore;
  registry: MemoryRegistry;
  events: EngineEvent[];
  service: DistributionService;
  close(): void;
}

export const unpackForTests: LayerUnpacker = async (blob, _mt, dir) => {
  const r = await applyLayer(await decompressedStream(blob), dir, { whiteoutFormat: 'overlay' });
  return { diffId: r.diffId, size: r.size };
};

export async function harness(opts: { maxConcurrentDownloads?: number; maxConcurrentUploads?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dist-'));
  const db = openDatabase(join(dir, 'state.db'));
  const content = new ContentStore(join(dir, 'content'));
  await content.init();
  const snapshots = new Snapshotter(join(dir, 'snapshots'), db, { mount: async () => {}, umount: async () => {} }, Logger.silent());
  await snapshots.init();
  const store = new ImageStore(db, content, snapshots, unpackForTests, Logger.silent());
  store.init();
  const registry = new MemoryRegistry();
  const bus = new EventBus();
  const events: EngineEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const service = new DistributionService({
    store,
    content,
    snapshots,
    unpack: unpackForTests,
    access: registry,
    events: bus,
    log: Logger.silent(),
    inUse: () => new Set(),
    maxConcurrentDownloads: opts.maxConcurrentDownloads ?? 3,
    maxConcurrentUploads: opts.maxConcurrentUploads ?? 5,
    gzipLevel: 1,
  });
  return {
    dir,
    db,
    content,
    snapshots,
    store,
    registry,
    events,
    service,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Recorded {
  out: ProgressOutput;
  lines: string[];
  aux: unknown[];
}

/** Records progress as `id: status` lines (updates with counts as `id: status n/total`). */
export function recorder(): Recorded {
  const lines: string[] = [];
  const aux: unknown[] = [];
  return {
    lines,
    aux,
    out: {
      message: (id, status) => lines.push(id ? `${id}: ${status}` : status),
      update: (id, action, current, total) => lines.push(`${id}: ${action}${current !== undefined ? ` ${current}/${total}` : ''}`),
      aux: (v) => aux.push(v),
    },
  };
}

export async function tarBytes(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of packEntries(entries)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface BuiltLayer {
  tar: Buffer;
  blob: Buffer;
  mediaType: string;
  diffId: Digest;
}

export function compress(tar: Buffer, how: Compression, oci = false): BuiltLayer {
  const blob = how === 'gzip' ? gzipSync(tar) : how === 'zstd' ? execFileSync('zstd', ['-q', '-c'], { input: tar }) : tar;
  const mediaType =
    how === 'zstd' ? mediaTypes.ociLayerZstd : how === 'gzip' ? (oci ? mediaTypes.ociLayerGzip : mediaTypes.dockerLayerGzip) : oci ? mediaTypes.ociLayer : mediaTypes.dockerLayer;
  return { tar, blob, mediaType, diffId: sha256Digest(tar) };
}

/**
 * Puts an image (config, layers, manifest) into `repo` of the registry under `tags`; returns the
 * manifest descriptor and the config digest. `oci` selects OCI media types.
 */
export function publish(
  registry: MemoryRegistry,
  repo: string,
  layers: BuiltLayer[],
  opts: { tags?: string[]; oci?: boolean; platform?: Platform; diffIds?: Digest[]; configExtra?: Record<string, unknown> } = {},
): { manifestDigest: Digest; manifestBytes: Buffer; configDigest: Digest } {
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      created: '2024-05-06T07:08:09Z',
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: opts.diffIds ?? layers.map((l) => l.diffId) },
      ...opts.configExtra,
    }),
  );
  const cfg = registry.putBlob(repo, config, opts.oci ? mediaTypes.ociConfig : mediaTypes.dockerConfig);
  const descs = layers.map((l) => registry.putBlob(repo, l.blob, l.mediaType));
  const mediaType = opts.oci ? mediaTypes.ociManifest : mediaTypes.dockerManifest;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: cfg, layers: descs }, null, 2));
  const m = registry.putManifestBytes(repo, bytes, mediaType, opts.tags ?? ['latest']);
  return { manifestDigest: m.digest, manifestBytes: bytes, configDigest: cfg.digest };
}

export function blobCount(h: Harness): number {
  return readdirSync(join(h.dir, 'content', 'blobs', 'sha256')).length;
}

export function fromBuffer(b: Buffer): Readable {
  return Readable.from([b]);
}
