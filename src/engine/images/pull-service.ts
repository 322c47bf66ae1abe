/**
 * `docker pull` with Docker's semantics and messages (moby's distribution/pull_v2.go): by tag, by
 * digest, or every tag of a name; manifest lists and OCI indexes resolved for a platform; layers
 * downloaded in a bounded pool, each unpacked while it downloads, committed bottom-up.
 *
 * Nothing is visible before it is verified: blobs go through the content store's verified commit,
 * layers into prepared snapshots committed only after their diff id matches the config, and the
 * image row with its references is written last, in one transaction. Everything stored on the way
 * is held by a lease (gc leaves it alone) and, if the pull fails, removed again unless something
 * else uses it. A crash mid-pull leaves ingests and temp snapshot directories, which the next
 * start removes, and complete verified blobs and layers, which the next pull reuses.
 */
import { Readable } from 'node:stream';
import {
  formatPlatform,
  hostPlatform,
  layerCompression,
  mediaTypes,
  platformMatches,
  selectPlatformManifest,
  type Descriptor,
  type ImageManifest,
  type Platform,
} from '../../distribution/index.js';
import type { ContentStore } from '../../content/index.js';
import type { Snapshotter } from '../../snapshots/index.js';
import { chainIds, type ImageConfig, type ImageStore, type LayerRecord, type LayerUnpacker, type Lease } from '../../images/index.js';
import { isDigest, sha256Digest, type Digest } from '../../util/digest.js';
import { InvalidArgumentError, NotFoundError, errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import {
  familiarRepository,
  familiarString,
  formatReference,
  parseReference,
  type Reference,
} from '../../util/reference.js';
import { Semaphore } from '../../util/semaphore.js';
import type { EventBus } from '../events.js';
import { fetchAndUnpackLayer } from './layer-fetch.js';
import { ProgressMeter, shortLayerId, type ProgressOutput } from './progress.js';
import type { FetchedManifest, RegistryAccess, RegistryCredentials, RemoteRepository } from './remote.js';

export interface PullRequest {
  /** `fromImage`: a name, possibly with a tag or digest (`busybox`, `host:5000/x:1`, `x@sha256:…`). */
  readonly image: string;
  /** `tag`: a tag or a digest; empty with a bare name pulls every tag. */
  readonly tag?: string;
  /** Wanted platform; default the host's. */
  readonly platform?: Platform;
  readonly credentials?: RegistryCredentials;
  readonly signal?: AbortSignal;
  readonly out: ProgressOutput;
}

export interface PullServiceDeps {
  readonly store: ImageStore;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  readonly unpack: LayerUnpacker;
  readonly access: () => RegistryAccess;
  readonly events: EventBus;
  readonly log: Logger;
  /** Snapshot keys containers use (kept when a failed pull cleans up). */
  readonly inUse: () => ReadonlySet<string>;
  /** Docker's --max-concurrent-downloads (default 3). */
  readonly maxConcurrentDownloads: number;
}

/** Config blobs larger than this are refused (they are read into memory). */
const maxConfigBytes = 8 * 1024 * 1024;

const errRootFSMismatch = "layers from manifest don't match image configuration";

/** Config media types Docker pulls as images; others are named by class in the error. */
const imageConfigTypes = new Set<string>([mediaTypes.dockerConfig, mediaTypes.ociConfig]);
const mediaTypeClasses: Record<string, string> = {
  'application/vnd.docker.plugin.v1+json': 'plugin',
  'application/vnd.cncf.helm.config.v1+json': 'helm chart',
};

/** Parses `fromImage` and `tag` as Docker's PullImage does. */
export function pullReference(image: string, tag: string | undefined): Reference {
  // `pull -a` may send the name with a trailing ':'.
  const name = image.endsWith(':') ? image.slice(0, -1) : image;
  let ref = parseReference(name);
  if (tag) {
    if (isDigest(tag)) ref = { domain: ref.domain, path: ref.path, digest: tag };
    else if (tag.includes(':')) throw new InvalidArgumentError(`invalid reference format: ${JSON.stringify(tag)} is not a tag or a sha256 digest`);
    else ref = parseReference(`${ref.domain}/${ref.path}:${tag}`);
  }
  if (familiarRepository(ref) === 'scratch') throw new InvalidArgumentError("'scratch' is a reserved name");
  return ref;
}

export class PullService {
  /** Layers being unpacked by some pull, by chain id: a second pull of the same layer waits. */
  private readonly unpacking = new Map<string, Promise<void>>();

  constructor(private readonly d: PullServiceDeps) {}

  /** Pulls and returns the image ids of the references pulled. */
  async pull(req: PullRequest): Promise<Digest[]> {
    const ref = pullReference(req.image, req.tag);
    const repo = this.d.access().repository(ref, req.credentials);
    const ids: Digest[] = [];
    let updated = false;
    if (ref.tag !== undefined || ref.digest !== undefined) {
      const r = await this.pullOne(repo, ref, req);
      ids.push(r.id);
      updated = r.updated;
    } else {
      const tags = await repo.listTags();
      if (tags.length === 0) throw new NotFoundError(`no tags found for ${familiarRepository(ref)}`);
      for (const tag of tags) {
        const r = await this.pullOne(repo, { domain: ref.domain, path: ref.path, tag }, req);
        ids.push(r.id);
        updated ||= r.updated;
      }
    }
    req.out.message('', `Status: ${updated ? 'Downloaded newer image for' : 'Image is up to date for'} ${familiarString(ref)}`);
    this.d.events.publish('image', 'pull', familiarString(ref), { name: familiarRepository(ref) });
    if (req.platform && ids.length === 1) {
      const img = this.d.store.get(ids[0]!);
      const actual: Platform = img ? { os: img.config.os, architecture: img.config.architecture, ...(img.config.variant ? { variant: img.config.variant } : {}) } : req.platform;
      if (!platformMatches(actual, req.platform)) {
        req.out.message(
          '',
          `WARNING: image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted ${formatPlatform(req.platform)}, actual: ${formatPlatform(actual)}`,
        );
      }
    }
    return ids;
  }

  /** One tag or digest: returns the image id and whether a reference now points somewhere new. */
  private async pullOne(repo: RemoteRepository, ref: Reference, req: PullRequest): Promise<{ id: Digest; updated: boolean }> {
    const tagOrDigest = ref.digest ?? ref.tag!;
    const top = await repo.getManifest(tagOrDigest, req.signal ? { signal: req.signal } : {});
    if (ref.digest && top.digest !== ref.digest) throw new InvalidArgumentError(`manifest verification failed for digest ${ref.digest}`);
    // Docker names the repository by its path on the registry (`library/busybox`).
    req.out.message(ref.digest ? formatReference(ref) : ref.tag!, `Pulling from ${ref.path}`);

    let image: FetchedManifest = top;
    if (top.parsed.kind === 'index') {
      const wanted = req.platform ?? hostPlatform();
      const desc = selectPlatformManifest(top.parsed.manifest, wanted);
      if (!desc) throw new NotFoundError(`no matching manifest for ${formatPlatform(wanted)} in the manifest list entries`);
      image = await repo.getManifest(desc.digest, req.signal ? { signal: req.signal } : {});
      if (image.digest !== desc.digest) throw new InvalidArgumentError(`manifest verification failed for digest ${desc.digest}`);
      if (image.parsed.kind !== 'image') throw new InvalidArgumentError('unsupported manifest format: an index inside an index');
    }
    if (image.parsed.kind !== 'image') throw new InvalidArgumentError('unsupported manifest format');
    const manifest = image.parsed.manifest;
    checkMediaTypes(manifest);

    const id = manifest.config.digest;
    const existing = this.d.store.get(id);
    const complete = existing && chainIds(existing.layers.map((l) => l.diffId)).every((c) => this.d.snapshots.has(c));
    if (!complete) await this.fetchImage(repo, image, manifest, req);
    req.out.message('', `Digest: ${top.digest}`);

    const name = { domain: ref.domain, path: ref.path };
    const before = this.d.store.lookupReference(ref);
    this.d.store.addReference(id, { ...name, digest: top.digest });
    if (!ref.digest) this.d.store.addReference(id, ref);
    return { id, updated: before !== id };
  }

  private async fetchImage(repo: RemoteRepository, image: FetchedManifest, manifest: ImageManifest, req: PullRequest): Promise<void> {
    const lease = this.d.store.protect();
    try {
      const configBytes = await readConfig(repo, manifest.config, req.signal);
      const config = parseImageConfig(configBytes);
      const diffIds = config.rootfs.diff_ids;
      if (diffIds.length !== manifest.layers.length) throw new InvalidArgumentError(errRootFSMismatch);
      const layers = await this.fetchLayers(repo, manifest.layers, diffIds, lease, req);
      const size = layers.reduce((n, l) => n + l.unpacked, 0);
      await this.d.store.add({
        config,
        configBytes,
        layers: layers.map((l) => l.record),
        manifest: { bytes: image.bytes, mediaType: image.mediaType },
        size,
      });
      lease.release();
    } catch (err) {
      const removed = await this.d.store.discard(lease, this.d.inUse()).catch((e: unknown) => {
        this.d.log.warn('could not remove what a failed pull stored', { err: errorMessage(e) });
        return undefined;
      });
      if (removed && (removed.blobs || removed.snapshots)) this.d.log.info('removed what a failed pull stored', removed);
      throw err;
    }
  }

  /**
   * Gets every layer into a committed snapshot: the leading layers already unpacked are reported
   * as "Already exists"; the others are fetched (or read from a local blob) and unpacked in
   * parallel, at most maxConcurrentDownloads transfers at a time, and committed in order.
   */
  private async fetchLayers(
    repo: RemoteRepository,
    descs: readonly Descriptor[],
    diffIds: readonly Digest[],
    lease: Lease,
    req: PullRequest,
  ): Promise<Array<{ record: LayerRecord; unpacked: number }>> {
    const chain = chainIds(diffIds);
    const out = req.out;
    const results: Array<{ record: LayerRecord; unpacked: number }> = [];
    let first = 0;
    while (first < descs.length && this.d.snapshots.has(chain[first]!)) {
      const desc = descs[first]!;
      lease.snapshots.add(chain[first]!);
      lease.blobs.add(desc.digest);
      out.update(shortLayerId(desc.digest), 'Already exists');
      results.push({ record: layerRecord(desc, diffIds[first]!), unpacked: this.d.store.distribution.unpackedSize(diffIds[first]!) ?? desc.size });
      first++;
    }
    if (first === descs.length) return results;
    for (let i = first; i < descs.length; i++) out.update(shortLayerId(descs[i]!.digest), 'Pulling fs layer');

    const pool = new Semaphore(this.d.maxConcurrentDownloads);
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort();
    req.signal?.addEventListener('abort', onOuterAbort, { once: true });
    // One "committed" signal per layer, so each commit can wait for the layer below it.
    const committed: Array<{ done: Promise<void>; resolve: () => void; reject: (e: unknown) => void }> = [];
    for (let i = first; i < descs.length; i++) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => {});
      committed.push({ done, resolve, reject });
    }
    // Transfers start smallest first: a small layer (often many small files, slow to unpack)
    // then unpacks while the big ones download, instead of after them. Commits stay bottom-up.
    const order = Array.from({ length: descs.length - first }, (_, k) => first + k).sort((a, b) => descs[a]!.size - descs[b]!.size || a - b);
    const tasks: Array<Promise<{ record: LayerRecord; unpacked: number }>> = new Array(order.length);
    for (const i of order) {
      const mine = committed[i - first]!;
      // The layer below is either already there (i === first) or committed by its own task.
      const parent = i === first ? Promise.resolve() : committed[i - first - 1]!.done;
      tasks[i - first] = this.fetchLayer({
        repo,
        desc: descs[i]!,
        diffId: diffIds[i]!,
        key: chain[i]!,
        parentKey: i === 0 ? null : chain[i - 1]!,
        parentCommitted: parent,
        pool,
        lease,
        out,
        signal: abort.signal,
      }).then(
        (r) => {
          mine.resolve();
          return r;
        },
        (err: unknown) => {
          mine.reject(err);
          abort.abort();
          throw err;
        },
      );
    }
    try {
      const settled = await Promise.allSettled(tasks);
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      // The first layer's own error is the interesting one, not the aborts it caused.
      if (failure) throw firstRealError(settled) ?? failure.reason;
      return results.concat(settled.map((s) => (s as PromiseFulfilledResult<{ record: LayerRecord; unpacked: number }>).value));
    } finally {
      req.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  private async fetchLayer(t: {
    repo: RemoteRepository;
    desc: Descriptor;
    diffId: Digest;
    key: string;
    parentKey: string | null;
    parentCommitted: Promise<void>;
    pool: Semaphore;
    lease: Lease;
    out: ProgressOutput;
    signal: AbortSignal;
  }): Promise<{ record: LayerRecord; unpacked: number }> {
    const id = shortLayerId(t.desc.digest);
    const record = layerRecord(t.desc, t.diffId);
    t.lease.snapshots.add(t.key);
    t.lease.blobs.add(t.desc.digest);
    let unpacked: number | undefined;

    // Another pull is unpacking this very layer: wait for it instead of doing it twice.
    const other = this.unpacking.get(t.key);
    if (other) {
      t.out.update(id, 'Waiting');
      await other.catch(() => {});
    }
    if (!this.d.snapshots.has(t.key)) {
      let done!: () => void;
      const mine = new Promise<void>((r) => (done = r));
      this.unpacking.set(t.key, mine);
      try {
        unpacked = await this.downloadAndUnpack(t, id);
      } finally {
        if (this.unpacking.get(t.key) === mine) this.unpacking.delete(t.key);
        done();
      }
    } else {
      await t.parentCommitted;
      t.out.update(id, 'Pull complete');
    }
    this.d.store.distribution.addLayerBlob(record);
    this.d.store.distribution.addSource(t.desc.digest, t.repo.name);
    if (unpacked !== undefined) this.d.store.distribution.setUnpackedSize(t.diffId, unpacked);
    return { record, unpacked: unpacked ?? this.d.store.distribution.unpackedSize(t.diffId) ?? t.desc.size };
  }

  private async downloadAndUnpack(
    t: { repo: RemoteRepository; desc: Descriptor; diffId: Digest; key: string; parentKey: string | null; parentCommitted: Promise<void>; pool: Semaphore; out: ProgressOutput; signal: AbortSignal },
    id: string,
  ): Promise<number> {
    if (!t.pool.tryAcquire()) {
      t.out.update(id, 'Waiting');
      await t.pool.acquire();
    }
    // The slot is the transfer's: given back once the bytes are in, while unpacking may go on.
    let holding = true;
    const releaseSlot = (): void => {
      if (!holding) return;
      holding = false;
      t.pool.release();
    };
    let prepared;
    let result;
    const started = Date.now();
    let commitMs = 0;
    try {
      if (t.signal.aborted) throw new Error('pull cancelled');
      prepared = await this.d.snapshots.prepareCommitted(t.key);
      const local = await this.d.content.has(t.desc.digest);
      const download = new ProgressMeter(t.out, id, 'Downloading', t.desc.size);
      const extract = new ProgressMeter(t.out, id, 'Extracting', t.desc.size);
      let stored = false;
      const source: Readable = local
        ? this.d.content.readStream(t.desc.digest)
        : t.repo.fetchBlob(t.desc, { signal: t.signal, onProgress: (n) => download.set(n) });
      if (local) {
        t.out.update(id, 'Download complete');
        releaseSlot();
      }
      const onAbort = (): void => {
        source.destroy(new Error('pull cancelled'));
      };
      t.signal.addEventListener('abort', onAbort, { once: true });
      try {
        result = await fetchAndUnpackLayer({
          source,
          desc: t.desc,
          ...(local ? {} : { storeInto: this.d.content }),
          dir: prepared.dir,
          unpack: this.d.unpack,
          onReceived: () => {
            if (local) return;
            download.finish();
            t.out.update(id, 'Verifying Checksum');
            // The transfer is over (the client's stream ends only after the digest matched):
            // the slot goes to the next layer while this blob is committed and unpacked.
            releaseSlot();
          },
          onStored: () => {
            stored = true;
            t.out.update(id, 'Download complete');
          },
          onCommitMs: (ms) => (commitMs = ms),
          // While downloading, the bar shows the download; after it, what is left to unpack.
          onUnpackProgress: (n) => {
            if (local || stored) extract.set(n);
          },
        });
      } finally {
        t.signal.removeEventListener('abort', onAbort);
      }
      extract.finish();
      if (result.diffId !== t.diffId) throw new InvalidArgumentError(`${errRootFSMismatch}: layer ${t.desc.digest} unpacks to ${result.diffId}, the config says ${t.diffId}`);
    } catch (err) {
      await prepared?.abort();
      throw err;
    } finally {
      releaseSlot();
    }
    const unpacked = Date.now();
    try {
      await t.parentCommitted;
      await prepared.commit(t.parentKey);
    } catch (err) {
      await prepared.abort();
      throw err;
    }
    t.out.update(id, 'Pull complete');
    this.d.log.debug('layer pulled', { digest: t.desc.digest, bytes: t.desc.size, fetchAndUnpackMs: unpacked - started, blobCommitMs: commitMs, waitedForParentMs: Date.now() - unpacked });
    return result.size;
  }
}

function layerRecord(desc: Descriptor, diffId: Digest): LayerRecord {
  return { digest: desc.digest, mediaType: desc.mediaType, size: desc.size, diffId };
}

function firstRealError(settled: PromiseSettledResult<unknown>[]): unknown {
  for (const s of settled) {
    if (s.status === 'rejected' && !/pull cancelled/.test(errorMessage(s.reason))) return s.reason;
  }
  return undefined;
}

/** Refuses configs that are not images and layers Berth cannot unpack (Docker's checks). */
function checkMediaTypes(m: ImageManifest): void {
  const configType = m.config.mediaType;
  if (!imageConfigTypes.has(configType)) {
    throw new InvalidArgumentError(`Encountered remote ${JSON.stringify(configType)}(${mediaTypeClasses[configType] ?? 'unknown'}) when fetching`);
  }
  for (const l of m.layers) {
    if (layerCompression(l.mediaType) === undefined) throw new InvalidArgumentError(`unsupported media type ${l.mediaType}`);
  }
}

/** The config blob, size-bounded and verified (the client verifies too; this keeps the rule local). */
async function readConfig(repo: RemoteRepository, desc: Descriptor, signal: AbortSignal | undefined): Promise<Buffer> {
  if (desc.size > maxConfigBytes) throw new InvalidArgumentError(`image config ${desc.digest} is ${desc.size} bytes, more than the ${maxConfigBytes} allowed`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of repo.fetchBlob(desc, signal ? { signal } : {}) as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > desc.size) throw new InvalidArgumentError(`image config verification failed for digest ${desc.digest}: more than ${desc.size} bytes`);
    chunks.push(c);
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length !== desc.size || sha256Digest(bytes) !== desc.digest) throw new InvalidArgumentError(`image config verification failed for digest ${desc.digest}`);
  return bytes;
}

/** Reads what the engine needs from a config, refusing malformed ones (Docker: "invalid rootfs in image configuration"). */
export function parseImageConfig(bytes: Buffer): ImageConfig {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`image config is not JSON: ${errorMessage(err)}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError('image config is not a JSON object');
  const c = v as Record<string, unknown>;
  const rootfs = c.rootfs as Record<string, unknown> | undefined;
  if (!rootfs || typeof rootfs !== 'object' || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every((d) => typeof d === 'string' && isDigest(d))) {
    throw new InvalidArgumentError('invalid rootfs in image configuration');
  }
  if (typeof c.os !== 'string' || typeof c.architecture !== 'string') throw new InvalidArgumentError('image config has no os or architecture');
  if (c.config !== undefined && (c.config === null || typeof c.config !== 'object' || Array.isArray(c.config))) {
    if (c.config !== null) throw new InvalidArgumentError('image config "config" must be an object');
  }
  return c as unknown as ImageConfig;
}
