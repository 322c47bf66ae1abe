/**
 * The seam for a pull-through cache: where the storage looks when a repository lacks a manifest
 * or blob. None is configured today (Berth's registry client is not there yet); a source that
 * answers is trusted no further than a push: its manifest is parsed and its blob's digest checked
 * before either is stored and served.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../../util/digest.js';

export interface ManifestSource {
  /** The manifest `reference` (tag or digest) of `repository` upstream, or undefined when it has none. */
  fetchManifest(repository: string, reference: string): Promise<{ bytes: Buffer; mediaType: string } | undefined>;
}

export interface BlobSource {
  /** The bytes of blob `digest` upstream, or undefined when it has none. */
  fetchBlob(repository: string, digest: Digest): Promise<Readable | undefined>;
}

export interface UpstreamSources {
  readonly manifests?: ManifestSource;
  readonly blobs?: BlobSource;
}
