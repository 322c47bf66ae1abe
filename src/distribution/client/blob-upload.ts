/**
 * Blob uploads of the distribution spec: HEAD first (the registry may have it), then
 * cross-repository mounts (`POST …/blobs/uploads/?mount=<digest>&from=<repo>`), else an upload
 * session: one `PUT <location>?digest=` with the body for blobs up to the chunk size, otherwise
 * `PATCH` chunks with `Content-Range: <start>-<end>` (each answer's `Range` must agree with what was
 * sent; its `Location` is used for the next request) and a closing `PUT ?digest=`.
 *
 * The source bytes are counted and hashed on the way; when they do not match the descriptor the
 * session is cancelled before the commit, so a registry never receives a wrong blob under a
 * right name. A failed attempt (connection, 5xx, expired session) is retried with a new session and
 * a new source from `open()`.
 */
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Digester, type Digest } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { Descriptor } from '../descriptor.js';
import { RegistryError } from '../registry-errors.js';
import { RegistryConnectionError, isAbortError } from './connection-error.js';
import { chunkContentRange, resolveLocation, uploadRangeMatches, withQuery } from './http-headers.js';
import { discardBody, type HttpResponse } from './http-transport.js';
import type { EndpointRequest } from './registry-endpoint.js';
import { isRetryableStatus, registryErrorFrom, translatePushError } from './response-errors.js';
import { repositoryScope } from './scope.js';
import type { PushBlobOptions, PushBlobResult } from './types.js';

export interface UploadTarget {
  /** Sends an authorized request to the repository's registry (credentials bound). */
  request(r: Omit<EndpointRequest, 'creds'>): Promise<HttpResponse>;
  /** Repository path on the registry, e.g. `library/busybox`. */
  path: string;
  /** `host/path`, for messages. */
  name: string;
  /** The source repositories' paths on this registry (foreign registries left out). */
  mountSources: (mountFrom: readonly string[]) => string[];
  chunkSize: number;
  retries: number;
  retryDelayMs: number;
  logger: Logger;
}

class SourceMismatch extends InvalidArgumentError {}

/** Codes this module raises itself when a registry's answers do not add up: retrying will not help. */
const inconsistencyCodes = new Set(['DIGEST_INVALID', 'SIZE_INVALID', 'RANGE_INVALID', 'BLOB_UPLOAD_INVALID']);

function retryable(err: unknown): boolean {
  if (err instanceof RegistryConnectionError) return true;
  if (err instanceof RegistryError) return err.code === 'BLOB_UPLOAD_UNKNOWN' || (!inconsistencyCodes.has(err.code) && isRetryableStatus(err.status));
  return false;
}

async function failure(res: HttpResponse): Promise<Error> {
  return translatePushError(await registryErrorFrom(res, 'BLOB_UPLOAD_UNKNOWN'));
}

export async function pushBlob(t: UploadTarget, desc: Descriptor, open: () => Readable, opts: PushBlobOptions = {}): Promise<PushBlobResult> {
  const signal = opts.signal;
  const pushScope = [repositoryScope(t.path, ['pull', 'push'])];
  const blobPath = `/v2/${t.path}/blobs/${desc.digest}`;
  const sig = signal ? { signal } : {};

  const exists = async (): Promise<boolean> => {
    const res = await t.request({ method: 'HEAD', path: blobPath, scopes: pushScope, redirects: true, ...sig });
    discardBody(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await failure(res);
  };
  if (await exists()) return 'exists';

  let session: URL | undefined;
  const sources = t.mountSources(opts.mountFrom ?? []);
  for (const [i, from] of sources.entries()) {
    const res = await t.request({
      method: 'POST',
      path: `/v2/${t.path}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`,
      scopes: [...pushScope, repositoryScope(from, ['pull'])],
      ...sig,
    });
    if (res.status === 201) {
      discardBody(res);
      checkDigestHeader(res, desc.digest, t.name);
      return 'mounted';
    }
    if (res.status === 202) {
      discardBody(res);
      // The registry could not mount and opened an upload instead: use the last one, cancel the rest.
      const location = resolveLocation(res.url, res.headers.location, 'the upload');
      if (i === sources.length - 1) session = location;
      else await cancel(t, location);
      continue;
    }
    t.logger.debug('blob mount refused', { digest: desc.digest, from, status: res.status });
    discardBody(res);
  }

  for (let attempt = 0; ; attempt++) {
    const location = session ?? (await startUpload(t, pushScope, signal));
    session = undefined;
    try {
      await upload(t, location, desc, open, pushScope, opts);
      return 'uploaded';
    } catch (err) {
      void cancel(t, location);
      if (isAbortError(err) || !retryable(err) || attempt >= t.retries) throw err;
      t.logger.warn('blob upload failed; retrying', { digest: desc.digest, attempt: attempt + 1, error: (err as Error).message });
      await sleep(Math.min(5000, t.retryDelayMs * 2 ** attempt), undefined, sig);
      // A lost answer to a PUT that did commit: the blob is there now.
      if (await exists()) return 'uploaded';
    }
  }
}

async function startUpload(t: UploadTarget, scopes: string[], signal?: AbortSignal): Promise<URL> {
  const res = await t.request({ method: 'POST', path: `/v2/${t.path}/blobs/uploads/`, scopes, ...(signal ? { signal } : {}) });
  if (res.status !== 202) throw await failure(res);
  discardBody(res);
  return resolveLocation(res.url, res.headers.location, 'the upload');
}

async function cancel(t: UploadTarget, location: URL): Promise<void> {
  try {
    const res = await t.request({ method: 'DELETE', url: location, scopes: [repositoryScope(t.path, ['pull', 'push'])] });
    discardBody(res);
  } catch {
    /* best effort: the registry expires abandoned uploads */
  }
}

function checkDigestHeader(res: HttpResponse, expected: Digest, name: string): void {
  const header = res.headers['docker-content-digest'];
  if (typeof header === 'string' && header !== '' && header !== expected) {
    throw new RegistryError('DIGEST_INVALID', `registry ${name} committed blob ${expected} as ${header}`, { expected, actual: header }, 502);
  }
}

/** Reads `src` in pieces of exactly `chunkSize` (the last shorter), hashing and bounding on the way. */
async function* chunksOf(src: Readable, chunkSize: number, desc: Descriptor, digester: Digester): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  let total = 0;
  for await (const raw of src) {
    const c = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
    total += c.length;
    if (total > desc.size) throw new SourceMismatch(`content for blob ${desc.digest} is longer than its descriptor's ${desc.size} bytes`);
    digester.update(c);
    parts.push(c);
    held += c.length;
    while (held >= chunkSize) {
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      yield all.subarray(0, chunkSize);
      parts = held > chunkSize ? [all.subarray(chunkSize)] : [];
      held -= chunkSize;
    }
  }
  if (held > 0) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function checkSource(desc: Descriptor, digester: Digester): void {
  if (digester.size !== desc.size) throw new SourceMismatch(`content for blob ${desc.digest} has ${digester.size} bytes, its descriptor says ${desc.size}`);
  const actual = digester.digest();
  if (actual !== desc.digest) throw new SourceMismatch(`content for blob ${desc.digest} has digest ${actual}`);
}

async function upload(t: UploadTarget, first: URL, desc: Descriptor, open: () => Readable, scopes: string[], opts: PushBlobOptions): Promise<void> {
  const sig = opts.signal ? { signal: opts.signal } : {};
  const src = open();
  const digester = new Digester();
  try {
    let location = first;
    let sent = 0;
    if (desc.size <= t.chunkSize) {
      const parts: Buffer[] = [];
      for await (const c of chunksOf(src, Math.max(1, desc.size), desc, digester)) parts.push(c);
      checkSource(desc, digester);
      const body = Buffer.concat(parts);
      const res = await t.request({
        method: 'PUT',
        url: withQuery(location, { digest: desc.digest }),
        headers: { 'Content-Type': 'application/octet-stream' },
        body,
        scopes,
        ...(opts.onProgress ? { onBodyProgress: opts.onProgress } : {}),
        ...sig,
      });
      if (res.status !== 201 && res.status !== 204) throw await failure(res);
      discardBody(res);
      checkDigestHeader(res, desc.digest, t.name);
      return;
    }
    for await (const chunk of chunksOf(src, t.chunkSize, desc, digester)) {
      const start = sent;
      const res = await t.request({
        method: 'PATCH',
        url: location,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': chunkContentRange(start, chunk.length) },
        body: chunk,
        scopes,
        ...(opts.onProgress ? { onBodyProgress: (n: number) => opts.onProgress!(start + n) } : {}),
        ...sig,
      });
      if (res.status !== 202 && res.status !== 204) throw await failure(res);
      discardBody(res);
      sent += chunk.length;
      const range = res.headers.range;
      if (!uploadRangeMatches(typeof range === 'string' ? range : undefined, sent)) {
        throw new RegistryError('RANGE_INVALID', `registry ${t.name} reports upload range ${JSON.stringify(range)} after ${sent} bytes of blob ${desc.digest}`, undefined, 502);
      }
      location = resolveLocation(res.url, res.headers.location ?? location.href, 'the upload');
    }
    checkSource(desc, digester);
    const res = await t.request({ method: 'PUT', url: withQuery(location, { digest: desc.digest }), scopes, ...sig });
    if (res.status !== 201 && res.status !== 204) throw await failure(res);
    discardBody(res);
    checkDigestHeader(res, desc.digest, t.name);
  } finally {
    src.destroy();
  }
}
