/**
 * One repository on one registry: manifests, blobs and tags over the distribution API. Reads of
 * docker.io go to the configured mirrors first, then to Docker Hub; writes go to the registry only.
 * Every call asks for the scope it needs (`pull`, or `pull,push`); tokens are shared between
 * concurrent calls through the client's TokenService.
 */
import type { Readable } from 'node:stream';
import { isDigest, sha256Digest, type Digest } from '../../util/digest.js';
import { InvalidArgumentError, NotFoundError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { familiarRepository, familiarString, type Reference } from '../../util/reference.js';
import type { Descriptor } from '../descriptor.js';
import { parseManifest, maxManifestBytes, validateDescriptor } from '../manifest.js';
import { bareMediaType, manifestMediaTypes } from '../media-types.js';
import { RegistryError } from '../registry-errors.js';
import { isTag } from '../repository-name.js';
import { isAbortError } from './connection-error.js';
import { VerifyingBlobReader } from './blob-reader.js';
import { pushBlob } from './blob-upload.js';
import { parseLinkNext, rangeFrom } from './http-headers.js';
import { BodyTooLargeError, discardBody, readBody, type HttpResponse } from './http-transport.js';
import type { EndpointRequest, RegistryEndpoint } from './registry-endpoint.js';
import { isDockerHub } from './registry-host.js';
import { registryErrorFrom, translatePullError, translatePushError } from './response-errors.js';
import { repositoryScope } from './scope.js';
import type {
  FetchBlobOptions,
  FetchedManifest,
  PushBlobOptions,
  PushBlobResult,
  RegistryCredentials,
  RegistryRepository,
} from './types.js';

/** An endpoint with the credentials that go to it. */
export interface BoundEndpoint {
  endpoint: RegistryEndpoint;
  creds: () => Promise<RegistryCredentials | undefined>;
  mirror: boolean;
}

export interface RepositorySettings {
  retries: number;
  retryDelayMs: number;
  idleTimeoutMs: number;
  chunkSize: number;
  logger: Logger;
}

const acceptManifests = manifestMediaTypes.join(', ');

/** A caller's descriptor must be well formed (sha256 digest, non-negative size) before any request. */
function checkDescriptor(desc: Descriptor): void {
  try {
    validateDescriptor(desc, 'descriptor');
  } catch (err) {
    throw new InvalidArgumentError(`invalid ${(err as Error).message.replace(/^manifest invalid: /, '')}`, { cause: err });
  }
}
const maxTagsBody = 32 * 1024 * 1024;
const maxTagPages = 10_000;

export class Repository implements RegistryRepository {
  readonly name: string;
  private readonly pullScope: string[];
  private readonly pushScope: string[];

  constructor(
    private readonly ref: Reference,
    /** Mirrors first (docker.io only), the registry last. */
    private readonly readEndpoints: BoundEndpoint[],
    private readonly settings: RepositorySettings,
  ) {
    this.name = `${ref.domain}/${ref.path}`;
    this.pullScope = [repositoryScope(ref.path, ['pull'])];
    this.pushScope = [repositoryScope(ref.path, ['pull', 'push'])];
  }

  private get registry(): BoundEndpoint {
    return this.readEndpoints[this.readEndpoints.length - 1]!;
  }

  private familiar(tagOrDigest?: string): { familiarName: string; familiarRef: string } {
    const familiarName = familiarRepository(this.ref);
    if (tagOrDigest === undefined) return { familiarName, familiarRef: familiarName };
    const { domain, path } = this.ref;
    const r: Reference = isDigest(tagOrDigest) ? { domain, path, digest: tagOrDigest } : { domain, path, tag: tagOrDigest };
    return { familiarName, familiarRef: familiarString(r) };
  }

  private static checkReference(tagOrDigest: string): void {
    if (!isDigest(tagOrDigest) && !isTag(tagOrDigest)) {
      throw new InvalidArgumentError(`invalid reference format: ${JSON.stringify(tagOrDigest)} is neither a tag nor a sha256 digest`);
    }
  }

  private async send(b: BoundEndpoint, r: Omit<EndpointRequest, 'creds'>): Promise<HttpResponse> {
    const creds = await b.creds();
    return b.endpoint.request({ ...r, ...(creds ? { creds } : {}) });
  }

  /** Runs a read on each endpoint in turn: a mirror's failure (any but an abort) falls through. */
  private async read<T>(what: string, fn: (b: BoundEndpoint) => Promise<T>): Promise<T> {
    for (const [i, b] of this.readEndpoints.entries()) {
      try {
        return await fn(b);
      } catch (err) {
        if (!b.mirror || isAbortError(err) || i === this.readEndpoints.length - 1) throw err;
        this.settings.logger.warn('registry mirror failed; trying the next endpoint', { mirror: b.endpoint.host, what, error: (err as Error).message });
      }
    }
    throw new Error('unreachable: a repository always has its registry endpoint');
  }

  async getManifest(tagOrDigest: string, opts: { signal?: AbortSignal } = {}): Promise<FetchedManifest> {
    Repository.checkReference(tagOrDigest);
    return this.read(`manifest ${tagOrDigest}`, async (b) => {
      const res = await this.send(b, {
        method: 'GET',
        path: `/v2/${this.ref.path}/manifests/${tagOrDigest}`,
        headers: { Accept: acceptManifests },
        scopes: this.pullScope,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (res.status !== 200) throw translatePullError(await registryErrorFrom(res, 'MANIFEST_UNKNOWN'), this.familiar(tagOrDigest));
      let bytes: Buffer;
      try {
        bytes = await readBody(res, maxManifestBytes, `manifest ${tagOrDigest} of ${this.name}`);
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw new RegistryError('MANIFEST_INVALID', `manifest invalid: ${err.message}`, undefined, 502);
        throw err;
      }
      const digest = sha256Digest(bytes);
      if (isDigest(tagOrDigest) && digest !== tagOrDigest) {
        throw new RegistryError('DIGEST_INVALID', `manifest verification failed for digest ${tagOrDigest}: the registry sent a manifest with digest ${digest}`, { expected: tagOrDigest, actual: digest }, 502);
      }
      const header = res.headers['docker-content-digest'];
      if (typeof header === 'string' && isDigest(header) && header !== digest) {
        throw new RegistryError('DIGEST_INVALID', `manifest verification failed for digest ${header}: the registry sent a manifest with digest ${digest}`, { expected: header, actual: digest }, 502);
      }
      const contentType = res.headers['content-type'];
      const parsed = parseManifest(bytes, contentType);
      return { bytes, mediaType: parsed.mediaType, digest, parsed };
    });
  }

  async headManifest(tagOrDigest: string, opts: { signal?: AbortSignal } = {}): Promise<Descriptor | undefined> {
    Repository.checkReference(tagOrDigest);
    const found = await this.read(`manifest ${tagOrDigest}`, async (b) => {
      const res = await this.send(b, {
        method: 'HEAD',
        path: `/v2/${this.ref.path}/manifests/${tagOrDigest}`,
        headers: { Accept: acceptManifests },
        scopes: this.pullScope,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      discardBody(res);
      if (res.status === 404) return null;
      if (res.status !== 200) throw translatePullError(await registryErrorFrom(res, 'MANIFEST_UNKNOWN'), this.familiar(tagOrDigest));
      const header = res.headers['docker-content-digest'];
      const size = Number(res.headers['content-length']);
      const mediaType = bareMediaType(res.headers['content-type']);
      const digest = typeof header === 'string' && isDigest(header) ? header : isDigest(tagOrDigest) ? tagOrDigest : undefined;
      if (digest === undefined || !Number.isSafeInteger(size) || size < 0 || !manifestMediaTypes.includes(mediaType)) return undefined;
      if (isDigest(tagOrDigest) && digest !== tagOrDigest) {
        throw new RegistryError('DIGEST_INVALID', `manifest verification failed for digest ${tagOrDigest}: the registry reports ${digest}`, undefined, 502);
      }
      return { mediaType, digest, size } as Descriptor;
    });
    if (found === null) return undefined;
    if (found) return found;
    // The registry's HEAD lacked digest, size or a manifest type: GET tells all of them.
    try {
      const m = await this.getManifest(tagOrDigest, opts);
      return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async putManifest(tagOrDigest: string, bytes: Buffer, mediaType: string, opts: { signal?: AbortSignal } = {}): Promise<Digest> {
    Repository.checkReference(tagOrDigest);
    const parsed = parseManifest(bytes, mediaType);
    const digest = parsed.digest;
    if (isDigest(tagOrDigest) && tagOrDigest !== digest) {
      throw new InvalidArgumentError(`manifest digest ${digest} does not match the reference ${tagOrDigest}`);
    }
    const res = await this.send(this.registry, {
      method: 'PUT',
      path: `/v2/${this.ref.path}/manifests/${tagOrDigest}`,
      headers: { 'Content-Type': mediaType },
      body: bytes,
      scopes: this.pushScope,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 204) throw translatePushError(await registryErrorFrom(res, 'NAME_UNKNOWN'));
    discardBody(res);
    const header = res.headers['docker-content-digest'];
    if (typeof header === 'string' && header !== '' && header !== digest) {
      throw new RegistryError('DIGEST_INVALID', `registry ${this.name} stored manifest ${digest} as ${header}`, { expected: digest, actual: header }, 502);
    }
    return digest;
  }

  async statBlob(digest: Digest, opts: { signal?: AbortSignal } = {}): Promise<number | undefined> {
    if (!isDigest(digest)) throw new InvalidArgumentError(`invalid digest: ${JSON.stringify(digest)}`);
    return this.read(`blob ${digest}`, async (b) => {
      const res = await this.send(b, { method: 'HEAD', path: `/v2/${this.ref.path}/blobs/${digest}`, scopes: this.pullScope, redirects: true, ...(opts.signal ? { signal: opts.signal } : {}) });
      discardBody(res);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw translatePullError(await registryErrorFrom(res, 'BLOB_UNKNOWN'), { ...this.familiar(), blob: digest });
      const size = Number(res.headers['content-length']);
      if (!Number.isSafeInteger(size) || size < 0) throw new RegistryError('SIZE_INVALID', `registry ${this.name} sent no Content-Length for blob ${digest}`, undefined, 502);
      return size;
    });
  }

  fetchBlob(desc: Descriptor, opts: FetchBlobOptions = {}): Readable {
    checkDescriptor(desc);
    let index = 0; // sticks to the endpoint that answered; a mirror that fails is left for good
    const open = async (offset: number, signal: AbortSignal): Promise<HttpResponse> => {
      for (;;) {
        const b = this.readEndpoints[index]!;
        try {
          const res = await this.send(b, {
            method: 'GET',
            path: `/v2/${this.ref.path}/blobs/${desc.digest}`,
            headers: offset > 0 ? { Range: rangeFrom(offset) } : {},
            scopes: this.pullScope,
            redirects: true,
            signal,
          });
          if (res.status === 200 || res.status === 206) return res;
          throw translatePullError(await registryErrorFrom(res, 'BLOB_UNKNOWN'), { ...this.familiar(), blob: desc.digest });
        } catch (err) {
          if (!b.mirror || isAbortError(err) || index === this.readEndpoints.length - 1) throw err;
          this.settings.logger.warn('registry mirror failed for a blob; trying the next endpoint', { mirror: b.endpoint.host, digest: desc.digest, error: (err as Error).message });
          index++;
        }
      }
    };
    return new VerifyingBlobReader(desc, { open }, {
      retries: this.settings.retries,
      retryDelayMs: this.settings.retryDelayMs,
      idleTimeoutMs: this.settings.idleTimeoutMs,
      logger: this.settings.logger,
      repository: this.name,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  }

  async pushBlob(desc: Descriptor, open: () => Readable, opts: PushBlobOptions = {}): Promise<PushBlobResult> {
    checkDescriptor(desc);
    return pushBlob(
      {
        request: (r) => this.send(this.registry, r),
        path: this.ref.path,
        name: this.name,
        mountSources: (from) => this.mountSources(from),
        chunkSize: this.settings.chunkSize,
        retries: this.settings.retries,
        retryDelayMs: this.settings.retryDelayMs,
        logger: this.settings.logger,
      },
      desc,
      open,
      opts,
    );
  }

  /** `library/x`, `docker.io/library/x` (same registry) → `library/x`; other registries and self are dropped. */
  private mountSources(from: readonly string[]): string[] {
    const out: string[] = [];
    for (const raw of from) {
      let path = raw;
      const slash = raw.indexOf('/');
      if (slash > 0) {
        const first = raw.slice(0, slash);
        const looksLikeHost = first.includes('.') || first.includes(':') || first === 'localhost';
        if (looksLikeHost) {
          const same = first === this.ref.domain || (isDockerHub(first) && isDockerHub(this.ref.domain));
          if (!same) continue;
          path = raw.slice(slash + 1);
        }
      }
      if (path !== this.ref.path && !out.includes(path)) out.push(path);
    }
    return out;
  }

  async listTags(opts: { n?: number; last?: string; signal?: AbortSignal } = {}): Promise<string[]> {
    if (opts.n !== undefined && (!Number.isSafeInteger(opts.n) || opts.n < 0)) throw new InvalidArgumentError(`invalid number of tags requested: ${opts.n}`);
    return this.read('tags', async (b) => {
      const base = await b.endpoint.base();
      let url: URL | undefined = new URL(`/v2/${this.ref.path}/tags/list`, base);
      if (opts.n !== undefined) url.searchParams.set('n', String(opts.n));
      if (opts.last !== undefined) url.searchParams.set('last', opts.last);
      const tags: string[] = [];
      const seen = new Set<string>();
      for (let page = 0; url && page < maxTagPages; page++) {
        if (seen.has(url.href)) break;
        seen.add(url.href);
        const res = await this.send(b, { method: 'GET', url, headers: { Accept: 'application/json' }, scopes: this.pullScope, ...(opts.signal ? { signal: opts.signal } : {}) });
        if (res.status !== 200) throw translatePullError(await registryErrorFrom(res, 'NAME_UNKNOWN'), this.familiar());
        const body = await readBody(res, maxTagsBody, `tag list of ${this.name}`);
        let doc: unknown;
        try {
          doc = JSON.parse(body.toString('utf8'));
        } catch (err) {
          throw new RegistryError('UNKNOWN', `registry ${this.name} sent an unreadable tag list: ${(err as Error).message}`, undefined, 502);
        }
        const list = (doc as { tags?: unknown })?.tags;
        if (list !== null && list !== undefined && (!Array.isArray(list) || list.some((t) => typeof t !== 'string'))) {
          throw new RegistryError('UNKNOWN', `registry ${this.name} sent a tag list that is not an array of strings`, undefined, 502);
        }
        tags.push(...((list as string[] | null | undefined) ?? []));
        if (opts.n !== undefined) break;
        const next = parseLinkNext(res.headers.link, res.url);
        if (next && next.host !== base.host) {
          throw new RegistryError('UNKNOWN', `registry ${this.name} paginates tags to another host (${next.host}); refusing`, undefined, 502);
        }
        url = next;
      }
      return tags;
    });
  }
}
