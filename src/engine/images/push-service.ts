/**
 * `docker push` with Docker's semantics and messages (moby's distribution/push_v2.go and
 * xfer/upload.go): one tag, or every tag of a repository; layers uploaded in a bounded pool,
 * skipped when the registry has them, mounted from another repository of the same registry when
 * one is known to hold them, then the config, then the manifest last. The pushed digest becomes a
 * RepoDigest of the image.
 */
import { Readable } from 'node:stream';
import type { ContentStore } from '../../content/index.js';
import type { Descriptor } from '../../distribution/index.js';
import type { ImageStore, LayerRecord } from '../../images/index.js';
import { sha256Digest, type Digest } from '../../util/digest.js';
import { InvalidArgumentError, NotFoundError, errorMessage } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { familiarRepository, familiarString, parseReference, repositoryName, type Reference } from '../../util/reference.js';
import { Semaphore } from '../../util/semaphore.js';
import type { EventBus } from '../events.js';
import type { DistributionManifests } from './distributable.js';
import { ProgressMeter, shortLayerId, type ProgressOutput } from './progress.js';
import type { RegistryAccess, RegistryCredentials, RemoteRepository } from './remote.js';

export interface PushRequest {
  /** The repository (`host:5000/app`), possibly with a tag. */
  readonly image: string;
  /** `tag`; empty with a bare name pushes every tag of the repository. */
  readonly tag?: string;
  readonly credentials?: RegistryCredentials;
  readonly signal?: AbortSignal;
  readonly out: ProgressOutput;
}

export interface PushServiceDeps {
  readonly store: ImageStore;
  readonly content: ContentStore;
  readonly manifests: DistributionManifests;
  readonly access: () => RegistryAccess;
  readonly events: EventBus;
  readonly log: Logger;
  /** Docker's --max-concurrent-uploads (default 5). */
  readonly maxConcurrentUploads: number;
}

export interface PushResult {
  readonly tag: string;
  readonly digest: Digest;
  readonly size: number;
}

/** Parses the name and `tag` as Docker's PushImage does (a digest cannot be pushed). */
export function pushReference(image: string, tag: string | undefined): Reference {
  let ref = parseReference(image);
  if (ref.digest) throw new InvalidArgumentError('cannot push a digest reference');
  if (tag) {
    if (tag.startsWith('sha256:')) throw new InvalidArgumentError('cannot push a digest reference');
    ref = parseReference(`${repositoryName(ref)}:${tag}`);
  }
  return ref;
}

export class PushService {
  constructor(private readonly d: PushServiceDeps) {}

  async push(req: PushRequest): Promise<PushResult[]> {
    const ref = pushReference(req.image, req.tag);
    const repoName = repositoryName(ref);
    req.out.message('', `The push refers to repository [${repoName}]`);
    const tagged = this.d.store
      .refs()
      .map((r) => ({ ref: parseReference(r.name), id: r.imageId }))
      .filter((r) => repositoryName(r.ref) === repoName && r.ref.tag !== undefined && r.ref.digest === undefined);
    if (tagged.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarRepository(ref)}`);
    const repo = this.d.access().repository(ref, req.credentials);
    const results: PushResult[] = [];
    if (ref.tag !== undefined) {
      const id = this.d.store.lookupReference(ref);
      if (!id) throw new NotFoundError(`tag does not exist: ${familiarString(ref)}`);
      results.push(await this.pushTag(repo, ref, id, req));
    } else {
      for (const t of tagged) results.push(await this.pushTag(repo, t.ref, t.id, req));
    }
    this.d.events.publish('image', 'push', familiarString(ref), { name: familiarRepository(ref) });
    return results;
  }

  private async pushTag(repo: RemoteRepository, ref: Reference, id: Digest, req: PushRequest): Promise<PushResult> {
    const img = this.d.store.get(id);
    if (!img) throw new NotFoundError(`could not find image from tag ${familiarString(ref)}: No such image: ${id}`);
    const dist = await this.d.manifests.forImage(img);
    const lease = this.d.store.protect();
    for (const l of dist.layers) lease.blobs.add(l.digest);
    lease.blobs.add(dist.digest);
    try {
      await this.uploadLayers(repo, ref, dist.layers, req);
      await repo.pushBlob(dist.config, () => this.d.content.readStream(dist.config.digest), req.signal ? { signal: req.signal } : {});
      const tag = ref.tag!;
      const digest = await repo.putManifest(tag, dist.bytes, dist.mediaType);
      if (digest !== sha256Digest(dist.bytes)) {
        this.d.log.warn('registry reported another digest for the pushed manifest', { sent: sha256Digest(dist.bytes), reported: digest });
      }
      req.out.message('', `${tag}: digest: ${digest} size: ${dist.bytes.length}`);
      this.d.store.addReference(id, { domain: ref.domain, path: ref.path, digest });
      req.out.aux({ Tag: tag, Digest: digest, Size: dist.bytes.length });
      return { tag, digest, size: dist.bytes.length };
    } finally {
      lease.release();
    }
  }

  /** Top layer first, as Docker lists them; at most maxConcurrentUploads at a time. */
  private async uploadLayers(repo: RemoteRepository, ref: Reference, layers: readonly LayerRecord[], req: PushRequest): Promise<void> {
    const ordered = [...layers].reverse();
    // The same blob twice in one image is pushed once.
    const unique = ordered.filter((l, i) => ordered.findIndex((o) => o.digest === l.digest) === i);
    for (const l of unique) req.out.update(shortLayerId(l.diffId), 'Preparing');
    const pool = new Semaphore(this.d.maxConcurrentUploads);
    const abort = new AbortController();
    const onOuter = (): void => abort.abort();
    req.signal?.addEventListener('abort', onOuter, { once: true });
    try {
      const settled = await Promise.allSettled(
        unique.map(async (l) => {
          try {
            await this.uploadLayer(repo, ref, l, pool, req.out, abort.signal);
          } catch (err) {
            abort.abort();
            throw err;
          }
        }),
      );
      const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed.length) throw (failed.find((f) => !/aborted|cancelled/i.test(errorMessage(f.reason))) ?? failed[0]!).reason;
    } finally {
      req.signal?.removeEventListener('abort', onOuter);
    }
  }

  private async uploadLayer(repo: RemoteRepository, ref: Reference, l: LayerRecord, pool: Semaphore, out: ProgressOutput, signal: AbortSignal): Promise<void> {
    const id = shortLayerId(l.diffId);
    if (!pool.tryAcquire()) {
      out.update(id, 'Waiting');
      await pool.acquire();
    }
    try {
      if (signal.aborted) throw new Error('push cancelled');
      const desc: Descriptor = { mediaType: l.mediaType, digest: l.digest, size: l.size };
      const mountFrom = this.mountCandidate(ref, l.digest);
      const meter = new ProgressMeter(out, id, 'Pushing', l.size);
      const local = await this.d.content.has(l.digest);
      const result = await repo.pushBlob(
        desc,
        () => (local ? this.d.content.readStream(l.digest) : missingBlob(l)),
        { ...(mountFrom ? { mountFrom: [mountFrom.path] } : {}), onProgress: (n) => meter.set(n), signal },
      );
      if (result === 'exists') out.update(id, 'Layer already exists');
      // Docker names the source by its path on the registry (`library/busybox`).
      else if (result === 'mounted') out.update(id, `Mounted from ${(mountFrom ?? ref).path}`);
      else {
        meter.finish();
        out.update(id, 'Pushed');
      }
      this.d.store.distribution.addSource(l.digest, repositoryName(ref));
    } finally {
      pool.release();
    }
  }

  /** Another repository on the same registry known to hold the blob (the most similar name first). */
  private mountCandidate(ref: Reference, digest: Digest): Reference | undefined {
    const here = repositoryName(ref);
    const candidates = this.d.store.distribution
      .sourcesOf(digest)
      .filter((r) => r !== here && r.startsWith(`${ref.domain}/`))
      .map((r) => ({ domain: ref.domain, path: r.slice(ref.domain.length + 1) }));
    const parts = ref.path.split('/');
    const likeness = (p: string): number => {
      const q = p.split('/');
      let n = 0;
      while (n < q.length && n < parts.length && q[n] === parts[n]) n++;
      return n;
    };
    candidates.sort((a, b) => likeness(b.path) - likeness(a.path));
    return candidates[0];
  }
}

/** A layer whose blob the engine never stored (its snapshot came from another image). */
function missingBlob(l: LayerRecord): Readable {
  const r = new Readable({ read() {} });
  process.nextTick(() =>
    r.destroy(
      new NotFoundError(
        `layer ${l.digest} (diff id ${l.diffId}) is not stored locally: it was unpacked from another image's blob, and the registry does not have it`,
      ),
    ),
  );
  return r;
}
