/**
 * The registry a pull-through cache fronts, through Berth's registry client (auth, TLS, keep-alive,
 * verified and resumed blob downloads). Every answer is one of three: found, `undefined` (upstream
 * says the manifest, blob or repository is unknown), or a thrown RegistryError meant for the
 * cache's own client: DENIED (403) when upstream refuses the cache's credentials, TOOMANYREQUESTS
 * (429) passed on, and UNKNOWN with 502 for everything else (unreachable, 5xx, failed
 * verification). Callers that may serve a cached copy instead catch the throw.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../util/digest.js';
import { NotFoundError, UnauthorizedError, ForbiddenError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { RegistryError, type Descriptor } from '../../distribution/index.js';
import { RegistryClient, type FetchedManifest, type RegistryCredentials, type RegistryRepository } from '../../distribution/client/index.js';

export interface UpstreamOptions {
  /** `http(s)://host[:port]` */
  readonly remoteUrl: string;
  readonly username?: string;
  readonly password?: string;
  readonly logger: Logger;
  /** Attempts after the first for a broken blob download (resumed by Range). Default 3. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly headerTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
}

const missingCodes = new Set(['MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'BLOB_UNKNOWN']);

export class Upstream {
  readonly remoteUrl: string;
  private readonly host: string;
  private readonly scheme: 'http' | 'https';
  private readonly creds: RegistryCredentials | undefined;
  private readonly client: RegistryClient;

  constructor(opts: UpstreamOptions) {
    const url = new URL(opts.remoteUrl);
    this.remoteUrl = `${url.protocol}//${url.host}`;
    this.host = url.host;
    this.scheme = url.protocol === 'http:' ? 'http' : 'https';
    this.creds = opts.username !== undefined ? { username: opts.username, password: opts.password ?? '' } : undefined;
    this.client = new RegistryClient({
      logger: opts.logger,
      userAgent: 'berth-registry-proxy/0.1.0',
      retries: opts.retries ?? 3,
      ...(opts.retryDelayMs !== undefined ? { retryDelayMs: opts.retryDelayMs } : {}),
      ...(opts.headerTimeoutMs !== undefined ? { headerTimeoutMs: opts.headerTimeoutMs } : {}),
      ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    });
  }

  private repo(name: string): RegistryRepository {
    return this.client.repository({ domain: this.host, path: name }, this.creds, { scheme: this.scheme });
  }

  /** Turns a client failure into the cache's answer: undefined for "unknown upstream", else a RegistryError to send. */
  private translate(err: unknown, what: string): undefined {
    if (err instanceof NotFoundError) {
      const cause = err.cause;
      if (cause instanceof RegistryError && missingCodes.has(cause.code)) return undefined;
    }
    throw upstreamError(err, what, this.remoteUrl);
  }

  async getManifest(name: string, reference: string): Promise<FetchedManifest | undefined> {
    try {
      return await this.repo(name).getManifest(reference);
    } catch (err) {
      return this.translate(err, `manifest ${reference} of ${name}`);
    }
  }

  async headManifest(name: string, reference: string): Promise<Descriptor | undefined> {
    try {
      return await this.repo(name).headManifest(reference);
    } catch (err) {
      return this.translate(err, `manifest ${reference} of ${name}`);
    }
  }

  async statBlob(name: string, d: Digest): Promise<number | undefined> {
    try {
      return await this.repo(name).statBlob(d);
    } catch (err) {
      return this.translate(err, `blob ${d} of ${name}`);
    }
  }

  /** The verified download (it ends only after the digest matched; see the client's fetchBlob). */
  fetchBlob(name: string, desc: Descriptor): Readable {
    return this.repo(name).fetchBlob(desc);
  }

  async listTags(name: string): Promise<string[] | undefined> {
    try {
      return await this.repo(name).listTags();
    } catch (err) {
      return this.translate(err, `tags of ${name}`);
    }
  }

  close(): void {
    this.client.close();
  }
}

/** The error a cache's client gets for an upstream failure (`err` stays its cause). */
export function upstreamError(err: unknown, what: string, remoteUrl: string): RegistryError {
  const reason = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof RegistryError ? err.cause : err instanceof RegistryError ? err : undefined;
  if (err instanceof UnauthorizedError || err instanceof ForbiddenError || cause?.code === 'DENIED' || cause?.code === 'UNAUTHORIZED') {
    return new RegistryError('DENIED', `upstream registry ${remoteUrl} refused this cache access to ${what}: ${reason}`, undefined, 403, { cause: err });
  }
  if (cause?.code === 'TOOMANYREQUESTS') {
    return new RegistryError('TOOMANYREQUESTS', `upstream registry ${remoteUrl} is rate limiting: ${reason}`, undefined, 429, { cause: err });
  }
  return new RegistryError('UNKNOWN', `upstream registry ${remoteUrl} failed for ${what}: ${reason}`, undefined, 502, { cause: err });
}
