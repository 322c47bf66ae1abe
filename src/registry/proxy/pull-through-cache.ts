/**
 * Pull-through cache mode: what the registry does when a repository lacks what a client asks for.
 * The local storage answers first; on a miss the upstream registry is asked, and what it gives is
 * verified and stored like a push (atomic commits, leases against the garbage collector).
 *
 * - Manifests by digest never change: fetched once (the client checks the digest), then served
 *   from the cache.
 * - Manifests by tag are cached with the time upstream last confirmed them (kept in memory, and
 *   as the tag file's mtime for after a restart).
 *   Within `tagTtlMs` the cached one is served without asking; after it, upstream gets a HEAD:
 *   same digest → confirmed; another digest → that manifest is fetched and the tag moved; unknown
 *   upstream → the cached tag is dropped; upstream failing (unreachable, 5xx, refusing) → the
 *   cached manifest is served anyway (stale) and a warning logged.
 * - Blobs: a HEAD is answered from upstream's HEAD without fetching. A GET starts one BlobFetch
 *   per digest, which every concurrent request (of any repository that upstream confirms has the
 *   blob) reads from while it downloads; see blob-fetch.ts for what a response may send when.
 * - Concurrent requests for the same manifest share one upstream request, too.
 */
import type { Readable } from 'node:stream';
import { isDigest, type Digest } from '../../util/digest.js';
import type { Logger } from '../../util/log.js';
import { parseManifest, type Descriptor } from '../../distribution/index.js';
import type { FetchedManifest } from '../../distribution/client/index.js';
import type { RegistryMetrics } from '../metrics.js';
import type { BlobBody, RegistryStorage, StoredManifest } from '../storage/index.js';
import { BlobFetch } from './blob-fetch.js';
import { upstreamError } from './upstream.js';

/** The upstream as the cache uses it (upstream.ts; see there for the answers' meaning). */
export interface UpstreamRegistry {
  readonly remoteUrl: string;
  getManifest(name: string, reference: string): Promise<FetchedManifest | undefined>;
  headManifest(name: string, reference: string): Promise<Descriptor | undefined>;
  statBlob(name: string, d: Digest): Promise<number | undefined>;
  fetchBlob(name: string, desc: Descriptor): Readable;
  listTags(name: string): Promise<string[] | undefined>;
}

export interface PullThroughCacheOptions {
  readonly storage: RegistryStorage;
  readonly upstream: UpstreamRegistry;
  readonly tagTtlMs: number;
  readonly metrics: RegistryMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

type ManifestAnswer = StoredManifest | undefined;

export class PullThroughCache {
  private readonly storage: RegistryStorage;
  private readonly upstream: UpstreamRegistry;
  private readonly metrics: RegistryMetrics;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly manifestFlights = new Map<string, Promise<ManifestAnswer>>();
  /** Upstream HEAD and set-up of a blob fetch, per repository and digest. */
  private readonly blobPreparations = new Map<string, Promise<BlobFetch | 'stored' | undefined>>();
  /** Running downloads, one per digest. */
  private readonly fetches = new Map<Digest, BlobFetch>();
  /** `<repo>:<tag>` → when upstream last gave or confirmed it, on this cache's clock. */
  private readonly confirmed = new Map<string, number>();
  private closed = false;

  constructor(private readonly opts: PullThroughCacheOptions) {
    this.storage = opts.storage;
    this.upstream = opts.upstream;
    this.metrics = opts.metrics;
    this.logger = opts.logger.child({ component: 'pull-through' });
    this.now = opts.now ?? Date.now;
  }

  get remoteUrl(): string {
    return this.upstream.remoteUrl;
  }

  // Manifests.

  /** The manifest `reference` (tag or digest) of `repository`, from the cache or upstream; undefined when neither has it. */
  async getManifest(repository: string, reference: string): Promise<ManifestAnswer> {
    const cached = await this.storage.getManifest(repository, reference);
    if (isDigest(reference)) {
      if (cached) {
        this.metrics.proxyLookup('manifest', 'hit');
        return cached;
      }
      return this.flight(`${repository}@${reference}`, () => this.fetchManifest(repository, reference, []));
    }
    if (cached) {
      const confirmedAt = this.confirmed.get(`${repository}:${reference}`) ?? (await this.storage.tagModifiedAt(repository, reference));
      if (confirmedAt !== undefined && this.now() - confirmedAt < this.opts.tagTtlMs) {
        this.metrics.proxyLookup('manifest', 'hit');
        return cached;
      }
      return this.flight(`${repository}:${reference}`, () => this.revalidateTag(repository, reference, cached));
    }
    return this.flight(`${repository}:${reference}`, () => this.fetchManifest(repository, reference, [reference]));
  }

  /** Shares one upstream exchange among concurrent requests for the same thing. */
  private flight(key: string, run: () => Promise<ManifestAnswer>): Promise<ManifestAnswer> {
    const running = this.manifestFlights.get(key);
    if (running) {
      this.metrics.proxyLookup('manifest', 'joined');
      return running;
    }
    const p = run().finally(() => this.manifestFlights.delete(key));
    this.manifestFlights.set(key, p);
    return p;
  }

  private async fetchManifest(repository: string, reference: string, tags: string[]): Promise<ManifestAnswer> {
    const fetched = await this.upstream.getManifest(repository, reference);
    if (!fetched) {
      this.metrics.proxyLookup('manifest', 'unknown');
      return undefined;
    }
    await this.storage.storeFetchedManifest(repository, fetched.parsed, tags);
    for (const t of tags) this.confirm(repository, t);
    this.metrics.proxyLookup('manifest', 'miss');
    this.logger.debug('cached a manifest', { repository, reference, digest: fetched.digest });
    return { digest: fetched.digest, mediaType: fetched.mediaType, bytes: fetched.bytes };
  }

  private confirm(repository: string, tag: string): void {
    if (this.confirmed.size >= 100_000) this.confirmed.clear(); // the tag files' mtimes remain
    this.confirmed.set(`${repository}:${tag}`, this.now());
  }

  private async revalidateTag(repository: string, tag: string, cached: StoredManifest): Promise<ManifestAnswer> {
    const stale = (err: unknown): ManifestAnswer => {
      this.metrics.proxyLookup('manifest', 'stale');
      this.logger.warn('upstream failed; serving the cached manifest', { repository, tag, digest: cached.digest, error: err as Error });
      return cached;
    };
    let desc: Descriptor | undefined;
    try {
      desc = await this.upstream.headManifest(repository, tag);
    } catch (err) {
      return stale(err);
    }
    if (!desc) {
      // Upstream no longer has the tag, so neither does the cache (the manifest stays, by digest).
      await this.storage.deleteTag(repository, tag);
      this.confirmed.delete(`${repository}:${tag}`);
      this.metrics.proxyLookup('manifest', 'unknown');
      this.logger.info('upstream dropped a cached tag', { repository, tag, digest: cached.digest });
      return undefined;
    }
    if (desc.digest === cached.digest) {
      await this.storage.touchTag(repository, tag);
      this.confirm(repository, tag);
      this.metrics.proxyLookup('manifest', 'revalidated');
      return cached;
    }
    try {
      const known = await this.storage.getManifest(repository, desc.digest);
      if (known) {
        await this.storage.storeFetchedManifest(repository, parseManifest(known.bytes, known.mediaType), [tag]);
        this.confirm(repository, tag);
        this.metrics.proxyLookup('manifest', 'miss');
        return known;
      }
      const moved = await this.fetchManifest(repository, desc.digest, [tag]);
      // Gone between the HEAD and the GET: the tag moves again upstream; serve what we had this once.
      return moved ?? cached;
    } catch (err) {
      return stale(err);
    }
  }

  // Tags.

  /**
   * The tags of `repository` as upstream lists them (sorted); when upstream fails, the cached
   * tags (and the failure is thrown when the cache has no such repository). Undefined: upstream
   * says the repository is unknown.
   */
  async tags(repository: string): Promise<string[] | undefined> {
    let listed: string[] | undefined;
    try {
      listed = await this.upstream.listTags(repository);
    } catch (err) {
      if (!this.storage.hasRepository(repository)) throw err;
      this.logger.warn('upstream failed; listing the cached tags', { repository, error: err as Error });
      return this.storage.tags(repository);
    }
    return listed && [...new Set(listed)].sort();
  }

  // Blobs.

  /**
   * Blob `d` of `repository`: from the cache, else from upstream. For a HEAD (`bodyless`) on a
   * miss upstream's HEAD answers and nothing is fetched; for a GET the body reads from the
   * download (started, or joined when one runs). Undefined: upstream has no such blob there.
   */
  async blob(repository: string, d: Digest, opts: { bodyless: boolean }): Promise<BlobBody | undefined> {
    const stored = await this.storage.storedBlob(repository, d);
    if (stored) {
      this.metrics.proxyLookup('blob', 'hit');
      return stored;
    }
    const running = this.fetches.get(d);
    if (running?.servesRepository(repository)) {
      this.metrics.proxyLookup('blob', 'joined');
      return bodyOf(running);
    }
    if (opts.bodyless) {
      const size = await this.upstream.statBlob(repository, d);
      if (size === undefined) {
        this.metrics.proxyLookup('blob', 'unknown');
        return undefined;
      }
      if (await this.storage.linkFetchedBlob(repository, d)) {
        this.metrics.proxyLookup('blob', 'hit');
        return this.storage.storedBlob(repository, d);
      }
      this.metrics.proxyLookup('blob', 'miss');
      return { size, open: () => Promise.reject(new Error('a HEAD answer has no body')) };
    }
    const key = `${repository}@${d}`;
    let prepared = this.blobPreparations.get(key);
    if (prepared) this.metrics.proxyLookup('blob', 'joined');
    else {
      prepared = this.prepareFetch(repository, d).finally(() => this.blobPreparations.delete(key));
      this.blobPreparations.set(key, prepared);
    }
    const got = await prepared;
    if (got === undefined) return undefined;
    if (got === 'stored') return this.storage.storedBlob(repository, d);
    return bodyOf(got);
  }

  private async prepareFetch(repository: string, d: Digest): Promise<BlobFetch | 'stored' | undefined> {
    if (this.closed) throw upstreamError(new Error('the registry is stopping'), `blob ${d} of ${repository}`, this.remoteUrl);
    const size = await this.upstream.statBlob(repository, d);
    if (size === undefined) {
      this.metrics.proxyLookup('blob', 'unknown');
      return undefined;
    }
    // Stored already for another repository: upstream said this one has it too.
    if (await this.storage.linkFetchedBlob(repository, d)) {
      this.metrics.proxyLookup('blob', 'hit');
      return 'stored';
    }
    const running = this.fetches.get(d);
    if (running && running.state === 'running') {
      await running.alsoLink(repository);
      this.metrics.proxyLookup('blob', 'joined');
      return running;
    }
    const desc: Descriptor = { mediaType: 'application/octet-stream', digest: d, size };
    const fetch = new BlobFetch({
      digest: d,
      size,
      repository,
      source: () => this.upstream.fetchBlob(repository, desc),
      storage: this.storage,
      logger: this.logger,
      failure: (err) => upstreamError(err, `blob ${d} of ${repository}`, this.remoteUrl),
      onFinish: ({ ok, bytes }) => {
        if (this.fetches.get(d) === fetch) this.fetches.delete(d);
        this.metrics.proxyFetchDone(ok, bytes);
        if (ok) this.logger.debug('cached a blob', { repository, digest: d, size });
      },
    });
    this.fetches.set(d, fetch);
    this.metrics.proxyFetchStarted();
    this.metrics.proxyLookup('blob', 'miss');
    fetch.start();
    return fetch;
  }

  /** Aborts running downloads (nothing half-fetched is stored) and waits for them to end. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.fetches.values()];
    for (const f of running) f.abort(new Error('the registry is stopping'));
    await Promise.all(running.map((f) => f.finished));
  }
}

function bodyOf(fetch: BlobFetch): BlobBody {
  return { size: fetch.size, open: (range) => fetch.open(range) };
}
