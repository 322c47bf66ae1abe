/**
 * What pull and push need from a registry, in the engine's terms. These are the shapes of the
 * registry client library (src/distribution/client: RegistryClient, RegistryRepository); the
 * engine reaches that library only through registry-access.ts, and unit tests give an in-memory
 * registry of the same shape.
 */
import type { Readable } from 'node:stream';
import type { Descriptor, ParsedManifest } from '../../distribution/index.js';
import type { Digest } from '../../util/digest.js';
import type { Reference } from '../../util/reference.js';

/** Credentials for one registry (from X-Registry-Auth or POST /auth). */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
  parsed: ParsedManifest;
}

export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';

/** One repository on one registry (`host/path`). */
export interface RemoteRepository {
  readonly name: string;
  /** By tag or digest; digest verified when asked by digest; unparseable manifests refused. */
  getManifest(tagOrDigest: string, opts?: { signal?: AbortSignal }): Promise<FetchedManifest>;
  headManifest(tagOrDigest: string): Promise<Descriptor | undefined>;
  putManifest(tagOrDigest: string, bytes: Buffer, mediaType: string): Promise<Digest>;
  statBlob(digest: Digest): Promise<number | undefined>;
  /** Streams a blob, verifying digest and size as it goes; errors on mismatch, truncation or excess. */
  fetchBlob(desc: Descriptor, opts?: { signal?: AbortSignal; onProgress?: (bytesSoFar: number) => void }): Readable;
  pushBlob(
    desc: Descriptor,
    open: () => Readable,
    opts?: { mountFrom?: string[]; onProgress?: (bytes: number) => void; signal?: AbortSignal },
  ): Promise<PushBlobResult>;
  listTags(opts?: { n?: number; last?: string }): Promise<string[]>;
}

/** The daemon's way to registries: repositories and login, with its TLS/mirror/insecure settings. */
export interface RegistryAccess {
  repository(ref: Reference, creds?: RegistryCredentials): RemoteRepository;
  login(host: string, creds: RegistryCredentials): Promise<{ identityToken?: string; status: 'Login Succeeded' }>;
}

/** The daemon settings registries are reached with (Docker's flag names in comments). */
export interface RegistryAccessOptions {
  /** --insecure-registry: hosts or CIDRs where plain HTTP / unverified TLS is allowed. */
  readonly insecureRegistries: readonly string[];
  /** --registry-mirror: tried in order for docker.io. */
  readonly mirrors: readonly string[];
  /** certs.d directories (default Docker's and Berth's). */
  readonly certsDirs?: readonly string[];
  readonly userAgent: string;
}
