/**
 * Where everything lives under the registry's root directory. Every path is built here from
 * already-validated parts (repository names of the spec's grammar, tags, sha256 digests, upload
 * ids of 32 hex digits), so nothing a client sends reaches the filesystem unchecked.
 *
 * ```
 * blobs/sha256/<ab>/<hex>                          content, immutable; manifests too
 * ingest/<random>                                  bytes on their way into blobs/ (same filesystem)
 * uploads/<id>/{data,info}                         upload sessions: bytes so far, repository and start
 * repositories/<name>/_layers/sha256/<hex>         blob links: the blob belongs to the repository
 * repositories/<name>/_manifests/revisions/sha256/<hex>   manifest links, holding the media type
 * repositories/<name>/_manifests/tags/<tag>        the digest the tag points at
 * repositories/<name>/_referrers/sha256/<subject>/<hex>   referrer descriptors (JSON) by subject
 * ```
 * Internal directories begin with `_`, which no repository name component can.
 */
import { join } from 'node:path';
import { digestHex, type Digest } from '../../util/digest.js';

export class StoragePaths {
  readonly blobs: string;
  readonly ingest: string;
  readonly uploads: string;
  readonly repositories: string;
  readonly lockFile: string;
  readonly tokenKey: string;

  constructor(readonly root: string) {
    this.blobs = join(root, 'blobs', 'sha256');
    this.ingest = join(root, 'ingest');
    this.uploads = join(root, 'uploads');
    this.repositories = join(root, 'repositories');
    this.lockFile = join(root, 'registry.lock');
    this.tokenKey = join(root, 'token-signing-key.pem');
  }

  blob(d: Digest): string {
    const hex = digestHex(d);
    return join(this.blobs, hex.slice(0, 2), hex);
  }

  blobDir(d: Digest): string {
    return join(this.blobs, digestHex(d).slice(0, 2));
  }

  upload(id: string): string {
    return join(this.uploads, id);
  }

  repository(name: string): string {
    return join(this.repositories, ...name.split('/'));
  }

  layerLinks(name: string): string {
    return join(this.repository(name), '_layers', 'sha256');
  }

  layerLink(name: string, d: Digest): string {
    return join(this.layerLinks(name), digestHex(d));
  }

  revisions(name: string): string {
    return join(this.repository(name), '_manifests', 'revisions', 'sha256');
  }

  revision(name: string, d: Digest): string {
    return join(this.revisions(name), digestHex(d));
  }

  tags(name: string): string {
    return join(this.repository(name), '_manifests', 'tags');
  }

  tag(name: string, tag: string): string {
    return join(this.tags(name), tag);
  }

  referrers(name: string, subject: Digest): string {
    return join(this.repository(name), '_referrers', 'sha256', digestHex(subject));
  }

  referrer(name: string, subject: Digest, d: Digest): string {
    return join(this.referrers(name, subject), digestHex(d));
  }
}
