/**
 * What pull and push need from a registry, in the engine's terms. These are the shapes of the
 * registry client library (src/distribution/client: RegistryClient, RegistryRepository); the
 * engine reaches that library only through registry-access.ts, and unit tests give an in-memory
 * registry of the same shape.
 */
import type { RegistryCredentials, RegistryRepository } from '../../distribution/client/index.js';
import type { Reference } from '../../util/reference.js';

export type { FetchedManifest, PushBlobResult, RegistryCredentials } from '../../distribution/client/index.js';

/** One repository on one registry (`host/path`): the client library's handle. */
export type RemoteRepository = RegistryRepository;

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
