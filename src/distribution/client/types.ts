/**
 * The registry client's public contract. The engine's pull and push and the registry's
 * pull-through cache code against these types; keep them stable (extend compatibly).
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../util/digest.js';
import type { Logger } from '../../util/log.js';
import type { Descriptor } from '../descriptor.js';
import type { ParsedManifest } from '../manifest.js';

/**
 * Credentials for one registry, as Docker's AuthConfig carries them. Username + password work for
 * basic auth and for the token flow; `identityToken` is an OAuth2 refresh token (what `login`
 * returns for token registries); `registryToken` is a bearer token sent as is.
 */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface RegistryClientOptions {
  /**
   * Credentials per registry host, called with the normalized host: `docker.io` for Docker Hub
   * (whatever alias the reference used: `index.docker.io`, `registry-1.docker.io`), `host[:port]`
   * otherwise, and a mirror's `host[:port]` for mirrors. Docker's `config.json` keys Docker Hub as
   * `https://index.docker.io/v1/`: `authConfigKey(host)` gives that key. Credentials passed to
   * `repository()` take precedence.
   */
  credentials?: (host: string) => Promise<RegistryCredentials | undefined> | RegistryCredentials | undefined;
  /**
   * Hosts (`host[:port]`) or CIDRs where plain HTTP / unverified TLS is allowed; 127.0.0.0/8 and
   * ::1 always are, as in Docker. For an insecure registry https is tried first without
   * verification, then http.
   */
  insecureRegistries?: string[];
  /**
   * Whether loopback is insecure without being listed (Docker: always). Default true; false makes
   * 127.0.0.1 verify TLS like any host (tests of certs.d use it).
   */
  loopbackInsecure?: boolean;
  /**
   * Per-registry CA / client certs directories as Docker's certs.d:
   * `<dir>/<host[:port]>/{*.crt,*.cert,*.key}`. Default `['/etc/docker/certs.d', '/etc/berth/certs.d']`.
   */
  certsDirs?: string[];
  /**
   * Mirrors tried in order for docker.io reads (manifests, blobs, tags) before docker.io itself;
   * `https://host[:port]`, `http://host[:port]` or a bare host. Pushes never go to mirrors.
   */
  mirrors?: string[];
  /** Default `berth/<version>`. */
  userAgent?: string;
  logger?: Logger;
  /** Deadline for connecting and receiving response headers. Default 30 s. */
  headerTimeoutMs?: number;
  /** A blob body that sends nothing for this long counts as a broken connection. Default 60 s. */
  idleTimeoutMs?: number;
  /** Attempts after the first for a blob download (resumed by Range) or upload. Default 5. */
  retries?: number;
  /** First delay between attempts, doubled each time up to 5 s. Default 500 ms. */
  retryDelayMs?: number;
  /** Upload chunk size; blobs up to this size go in one PUT. Default 16 MiB. */
  chunkSize?: number;
  /** Keep-alive sockets per origin. Default 16. */
  maxSocketsPerHost?: number;
}

export interface FetchedManifest {
  /** Exactly the bytes the registry sent (their digest is the manifest's identity). */
  bytes: Buffer;
  mediaType: string;
  /** sha256 of `bytes`, verified against the requested digest or the registry's header. */
  digest: Digest;
  parsed: ParsedManifest;
}

export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';

export interface FetchBlobOptions {
  signal?: AbortSignal;
  /** Bytes verified-and-emitted so far (monotonic, also across resumes). */
  onProgress?: (bytesSoFar: number) => void;
}

export interface PushBlobOptions {
  /** Repositories on the same registry (paths such as `library/busybox`, or `host/path`) to mount from. */
  mountFrom?: string[];
  /** Bytes sent so far in the current attempt. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** One repository on one registry. Safe for many concurrent calls (tokens are shared). */
export interface RegistryRepository {
  /** `host/path`, e.g. `docker.io/library/busybox`, `127.0.0.1:5000/app`. */
  readonly name: string;
  /**
   * By tag or digest. Accept lists every type in `manifestMediaTypes`. The digest is always
   * computed; it must equal the requested digest (by digest) and the registry's
   * Docker-Content-Digest (when sent). Unparseable manifests are refused (parseManifest).
   * Missing: NotFoundError (`manifest for X not found: manifest unknown: …`).
   */
  getManifest(tagOrDigest: string, opts?: { signal?: AbortSignal }): Promise<FetchedManifest>;
  /** HEAD: the descriptor (digest from Docker-Content-Digest, size, mediaType) or undefined on 404. */
  headManifest(tagOrDigest: string, opts?: { signal?: AbortSignal }): Promise<Descriptor | undefined>;
  /** Validates (parseManifest with `mediaType`), uploads, returns the digest of `bytes`. */
  putManifest(tagOrDigest: string, bytes: Buffer, mediaType: string, opts?: { signal?: AbortSignal }): Promise<Digest>;
  /** HEAD blob: size when present, undefined when absent. */
  statBlob(digest: Digest, opts?: { signal?: AbortSignal }): Promise<number | undefined>;
  /**
   * Streams a blob, verifying digest and size as it streams (the stream errors with a clear
   * message on mismatch, truncation, or a body longer than desc.size — never unbounded). Follows
   * redirects (to other hosts, without the Authorization header). A broken connection is resumed
   * with a Range request from the byte already received (a few attempts), transparently.
   * The stream ends only after the digest matched: treat data as verified only on 'end'.
   */
  fetchBlob(desc: Descriptor, opts?: FetchBlobOptions): Readable;
  /**
   * Uploads a blob unless the registry has it (HEAD first → 'exists'); tries cross-repository
   * mount from `mountFrom` repositories on the same registry ('mounted'); else uploads: monolithic
   * for small blobs, chunked PATCH (Content-Range) for large ones, then PUT ?digest= ('uploaded').
   * `open` may be called again for a retry. The bytes `open` yields are checked against `desc`
   * (size and digest) before the upload is committed.
   */
  pushBlob(desc: Descriptor, open: () => Readable, opts?: PushBlobOptions): Promise<PushBlobResult>;
  /** Follows Link pagination when n is not given; with n, one page. Missing repository: NotFoundError. */
  listTags(opts?: { n?: number; last?: string; signal?: AbortSignal }): Promise<string[]>;
}
