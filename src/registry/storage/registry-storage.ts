/**
 * The registry's storage as the HTTP handlers use it: blobs and uploads scoped to a repository,
 * manifests with their validation, tags, referrers, the catalog, and the online garbage collector.
 * It holds the only copy of the in-memory caches for its root (see lock-file.ts). It knows nothing
 * of upstreams: a pull-through cache (../proxy/) stores what it fetched through storeFetchedBlob,
 * linkFetchedBlob and storeFetchedManifest, under the same leases and atomic commits as a push.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { isDigest, type Digest } from '../../util/digest.js';
import type { Logger } from '../../util/log.js';
import {
  artifactTypeOf,
  isManifestMediaType,
  isTag,
  parseManifest,
  referencedDescriptors,
  RegistryError,
  type Descriptor,
  type ParsedManifest,
} from '../../distribution/index.js';
import { BlobGuard } from './blob-guard.js';
import { BlobStore, type BlobInfo } from './blob-store.js';
import { collectGarbage, type GcStats } from './garbage-collector.js';
import { ensureDir, fsyncFile } from './fs-helpers.js';
import { acquireLock } from './lock-file.js';
import { StoragePaths } from './paths.js';
import { RepositoryStore } from './repository-store.js';
import { UploadStore, type UploadSession } from './upload-store.js';

export interface StoredManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly bytes: Buffer;
}

/** A blob to answer with: its size, and its bytes (a range, inclusive) opened on demand. */
export interface BlobBody {
  readonly size: number;
  /** Rejects (BLOB_UNKNOWN, or why a fetch failed) before any byte is sent. */
  open(range?: { start: number; end: number }): Promise<Readable>;
  /**
   * A stored blob's bytes as its open file, for a sender that reads the file itself (pooled
   * buffers, no stream); absent while the bytes still come from upstream. Rejects as `open` does.
   */
  openFile?(range?: { start: number; end: number }): Promise<BlobFile>;
}

/** Bytes `start`..`end` (inclusive) of an open blob file; whoever opened it closes `file`. */
export interface BlobFile {
  readonly file: FileHandle;
  readonly start: number;
  readonly end: number;
}

export interface RegistryStorageOptions {
  readonly root: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Layers a registry is not expected to hold (they are fetched from their `urls`). */
function isNondistributable(mediaType: string): boolean {
  return mediaType.includes('nondistributable') || mediaType.includes('foreign');
}

/** Manifest bytes kept in memory, least recently used dropped first, up to this many bytes. */
const manifestCacheBytes = 64 * 1024 * 1024;

export class RegistryStorage {
  readonly paths: StoragePaths;
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly repos: RepositoryStore;
  readonly guard: BlobGuard;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly manifestBytes = new Map<Digest, Buffer>();
  private manifestBytesTotal = 0;
  private releaseLock: (() => void) | undefined;
  private gcRunning: Promise<GcStats> | undefined;

  private constructor(opts: RegistryStorageOptions) {
    this.paths = new StoragePaths(opts.root);
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.blobs = new BlobStore(this.paths);
    this.uploads = new UploadStore(this.paths, this.now);
    this.repos = new RepositoryStore(this.paths);
    this.guard = new BlobGuard(this.now);
  }

  /** Locks the root, creates what is missing, and repairs what a crash left (ingest files, temp files). */
  static async open(opts: RegistryStorageOptions): Promise<RegistryStorage> {
    const s = new RegistryStorage(opts);
    await ensureDir(opts.root);
    s.releaseLock = acquireLock(s.paths.lockFile);
    try {
      await s.blobs.init();
      const torn = await s.blobs.clearIngest();
      if (torn > 0) s.logger.info('removed unfinished ingest files', { count: torn });
      await s.uploads.init();
      await s.repos.init();
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }

  close(): void {
    this.releaseLock?.();
    this.releaseLock = undefined;
  }

  // Blobs.

  /** The blob if `repository` holds it (HEAD/GET). */
  async statBlob(repository: string, d: Digest): Promise<BlobInfo | undefined> {
    const deleting = this.guard.touch(d);
    if (deleting) await deleting.catch(() => {});
    if (await this.repos.hasBlobLink(repository, d)) {
      const info = await this.blobs.stat(d);
      if (info) return info;
    }
    return undefined;
  }

  /**
   * The blob of `repository` as a body to send. Opening checks the file is still there (a blob
   * collected since the stat is BLOB_UNKNOWN, not a broken 200).
   */
  async storedBlob(repository: string, d: Digest): Promise<BlobBody | undefined> {
    const info = await this.statBlob(repository, d);
    if (!info) return undefined;
    const path = this.blobs.path(d);
    // An open file keeps its bytes readable even if a collection unlinks the blob meanwhile.
    const openFile = async (range?: { start: number; end: number }): Promise<BlobFile> => {
      let file;
      try {
        file = await open(path, 'r');
      } catch {
        throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest: d });
      }
      return { file, start: range?.start ?? 0, end: range?.end ?? info.size - 1 };
    };
    return {
      size: info.size,
      openFile,
      open: async (range) => {
        const { file } = await openFile(range);
        return file.createReadStream({ highWaterMark: 512 * 1024, ...(range ? { start: range.start, end: range.end } : {}) });
      },
    };
  }

  /** A fresh path under ingest/ (same filesystem as blobs/; cleared at start-up) for bytes on their way in. */
  newIngestPath(): string {
    return this.blobs.newIngestPath();
  }

  /**
   * Pull-through: commits `file` (verified as `d` and fsynced by the caller) as blob `d` and links
   * it to `repository`. The file is consumed.
   */
  async storeFetchedBlob(repository: string, file: string, d: Digest): Promise<BlobInfo> {
    const release = await this.guard.acquire([d]);
    try {
      await this.blobs.commitFile(file, d);
      await this.repos.linkBlob(repository, d);
      const info = await this.blobs.stat(d);
      if (!info) throw new Error(`Cannot cache blob ${d}: it vanished after its commit`);
      return info;
    } finally {
      release();
    }
  }

  /**
   * Pull-through: links blob `d`, stored already for another repository, to `repository` (the
   * upstream said this repository has it). Undefined when the bytes are not stored.
   */
  async linkFetchedBlob(repository: string, d: Digest): Promise<BlobInfo | undefined> {
    const release = await this.guard.acquire([d]);
    try {
      const info = await this.blobs.stat(d);
      if (info) await this.repos.linkBlob(repository, d);
      return info;
    } finally {
      release();
    }
  }

  openBlob(d: Digest, range?: { start: number; end: number }): Readable {
    return this.blobs.openRead(d, range);
  }

  /** Removes the blob from the repository (the bytes go with the next collection when nothing else needs them). */
  async deleteBlob(repository: string, d: Digest): Promise<boolean> {
    if (!(await this.repos.hasBlobLink(repository, d))) return false;
    return this.repos.unlinkBlob(repository, d);
  }

  /** Cross-repository mount: true when `from` holds the blob and `repository` now does too. */
  async mountBlob(repository: string, from: string, d: Digest): Promise<boolean> {
    const release = await this.guard.acquire([d]);
    try {
      if (!(await this.repos.hasBlobLink(from, d)) || !(await this.blobs.stat(d))) return false;
      await this.repos.linkBlob(repository, d);
      return true;
    } finally {
      release();
    }
  }

  /** A whole blob in one request (POST ?digest= with a body, or PUT of a fresh upload). */
  async putBlob(repository: string, body: Readable, d: Digest, size?: number): Promise<void> {
    const release = await this.guard.acquire([d]);
    try {
      await this.blobs.ingest(body, d, size);
      await this.repos.linkBlob(repository, d);
    } finally {
      release();
    }
  }

  // Uploads.

  startUpload(repository: string): Promise<UploadSession> {
    return this.uploads.create(repository);
  }

  getUpload(repository: string, id: string): Promise<UploadSession> {
    return this.uploads.get(repository, id);
  }

  appendUpload(s: UploadSession, body: Readable, opts: { start?: number; length?: number }): Promise<void> {
    return this.uploads.exclusive(s, () => this.uploads.append(s, body, opts));
  }

  /** Closes an upload: the optional last chunk, then the digest check; the session ends either way once the digest is wrong. */
  async finishUpload(s: UploadSession, d: Digest, last?: { body: Readable; start?: number; length?: number }): Promise<number> {
    return this.uploads.exclusive(s, async () => {
      if (last) await this.uploads.append(s, last.body, last);
      const got = await this.uploads.digestOf(s);
      if (got !== d) {
        await this.uploads.remove(s);
        throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: d, got });
      }
      await fsyncFile(this.uploads.dataFile(s));
      const release = await this.guard.acquire([d]);
      try {
        await this.blobs.commitFile(this.uploads.dataFile(s), d);
        await this.repos.linkBlob(s.repository, d);
      } finally {
        release();
      }
      await this.uploads.remove(s);
      return s.size;
    });
  }

  cancelUpload(s: UploadSession): Promise<void> {
    return this.uploads.exclusive(s, () => this.uploads.remove(s));
  }

  purgeUploads(maxAgeMs: number): Promise<number> {
    return this.uploads.purge(maxAgeMs);
  }

  // Manifests.

  private cacheManifest(d: Digest, bytes: Buffer): void {
    if (this.manifestBytes.has(d)) return;
    this.manifestBytes.set(d, bytes);
    this.manifestBytesTotal += bytes.length;
    for (const [k, v] of this.manifestBytes) {
      if (this.manifestBytesTotal <= manifestCacheBytes) break;
      this.manifestBytes.delete(k);
      this.manifestBytesTotal -= v.length;
    }
  }

  private async manifestBlob(d: Digest): Promise<Buffer | undefined> {
    const cached = this.manifestBytes.get(d);
    if (cached) return cached;
    const { readFile } = await import('node:fs/promises');
    try {
      const bytes = await readFile(this.blobs.path(d));
      this.cacheManifest(d, bytes);
      return bytes;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** The manifest `reference` (a tag or digest) of `repository`, or undefined. */
  async getManifest(repository: string, reference: string): Promise<StoredManifest | undefined> {
    const d = isDigest(reference) ? reference : await this.repos.resolveTag(repository, reference);
    if (d === undefined) return undefined;
    const mediaType = await this.repos.revision(repository, d);
    if (mediaType === undefined) return undefined;
    const bytes = await this.manifestBlob(d);
    if (bytes) return { digest: d, mediaType, bytes };
    this.logger.warn('manifest revision without its blob', { repository, digest: d });
    return undefined;
  }

  /**
   * Pull-through: stores a manifest fetched from upstream (parsed, so its digest is the digest of
   * its bytes) under `tags`. Unlike a push, what it references need not be here yet: blobs and
   * child manifests are fetched when asked for.
   */
  async storeFetchedManifest(repository: string, parsed: ParsedManifest, tags: readonly string[]): Promise<void> {
    for (const t of tags) if (!isTag(t)) throw new RegistryError('MANIFEST_INVALID', `invalid tag ${JSON.stringify(t)}`, { tag: t });
    const release = await this.guard.acquire([parsed.digest]);
    try {
      await this.storeManifest(repository, parsed, tags);
    } finally {
      release();
    }
  }

  /** When tag `tag` was last written or confirmed (`touchTag`), or undefined when there is no such tag. */
  tagModifiedAt(repository: string, tag: string): Promise<number | undefined> {
    return this.repos.tagModifiedAt(repository, tag);
  }

  /** Records that upstream confirmed the tag's digest now. */
  touchTag(repository: string, tag: string): Promise<void> {
    return this.repos.touchTag(repository, tag);
  }

  /**
   * Validates and stores a pushed manifest under `reference` (a tag, or its digest) and any
   * `extraTags`. Every blob and child manifest it references must be in the repository
   * (MANIFEST_BLOB_UNKNOWN otherwise); `subject` need not be. Returns the parsed manifest.
   */
  async putManifest(repository: string, reference: string, bytes: Buffer, contentType: string | undefined, extraTags: readonly string[] = []): Promise<ParsedManifest> {
    const parsed = parseManifest(bytes, contentType);
    const tags = [...extraTags];
    if (isDigest(reference)) {
      if (reference !== parsed.digest) throw new RegistryError('DIGEST_INVALID', 'manifest digest did not match the reference', { expected: reference, got: parsed.digest });
    } else if (isTag(reference)) {
      tags.unshift(reference);
    } else {
      throw new RegistryError('MANIFEST_INVALID', 'reference is neither a tag nor a sha256 digest', { reference }, 400);
    }
    for (const t of tags) if (!isTag(t)) throw new RegistryError('MANIFEST_INVALID', `invalid tag ${JSON.stringify(t)}`, { tag: t });
    const refs = referencedDescriptors(parsed).filter((r) => !isNondistributable(r.mediaType));
    const release = await this.guard.acquire([parsed.digest, ...refs.map((r) => r.digest)]);
    try {
      for (const r of refs) await this.checkReference(repository, r);
      await this.storeManifest(repository, parsed, tags);
    } finally {
      release();
    }
    return parsed;
  }

  private async checkReference(repository: string, r: Descriptor): Promise<void> {
    const unknown = () => new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${r.digest}, unknown to this repository`, { digest: r.digest });
    if (isManifestMediaType(r.mediaType) && (await this.repos.revision(repository, r.digest)) !== undefined) return;
    if (!(await this.repos.hasBlobLink(repository, r.digest))) {
      // A child manifest pushed to the repository is a revision there, not a linked blob.
      throw unknown();
    }
    const info = await this.blobs.stat(r.digest);
    if (!info) throw unknown();
    if (info.size !== r.size) {
      throw new RegistryError('MANIFEST_INVALID', `manifest invalid: descriptor of ${r.digest} says ${r.size} bytes, the blob has ${info.size}`, { digest: r.digest });
    }
  }

  private async storeManifest(repository: string, parsed: ParsedManifest, tags: readonly string[]): Promise<void> {
    await this.blobs.putBytes(parsed.bytes, parsed.digest);
    this.cacheManifest(parsed.digest, parsed.bytes);
    await this.repos.putRevision(repository, parsed.digest, parsed.mediaType);
    const subject = parsed.manifest.subject;
    if (subject) await this.repos.addReferrer(repository, subject.digest, referrerDescriptor(parsed));
    for (const t of tags) await this.repos.setTag(repository, t, parsed.digest);
  }

  /** Deletes manifest `d`: its tags, its revision and its referrer entry. False when the repository has none. */
  async deleteManifest(repository: string, d: Digest): Promise<boolean> {
    if ((await this.repos.revision(repository, d)) === undefined) return false;
    for (const t of await this.repos.tags(repository)) {
      if ((await this.repos.resolveTag(repository, t)) === d) await this.repos.deleteTag(repository, t);
    }
    const bytes = await this.manifestBlob(d);
    if (bytes) {
      try {
        const subject = parseManifest(bytes).manifest.subject;
        if (subject) await this.repos.removeReferrer(repository, subject.digest, d);
      } catch {
        /* an unreadable manifest has no referrer entry to remove */
      }
    }
    return this.repos.deleteRevision(repository, d);
  }

  deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.repos.deleteTag(repository, tag);
  }

  tags(repository: string): Promise<string[]> {
    return this.repos.tags(repository);
  }

  hasRepository(repository: string): boolean {
    return this.repos.hasRepository(repository);
  }

  repositories(): string[] {
    return this.repos.repositories();
  }

  async referrers(repository: string, subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    const all = await this.repos.referrers(repository, subject);
    return artifactType === undefined ? all : all.filter((d) => d.artifactType === artifactType);
  }

  // Garbage collection.

  /** Runs one collection (a second call while one runs shares it). */
  collectGarbage(graceMs: number): Promise<GcStats> {
    this.gcRunning ??= collectGarbage({
      blobs: this.blobs,
      repos: this.repos,
      guard: this.guard,
      graceMs,
      now: this.now,
      logger: this.logger,
      readManifest: (d) => this.manifestBlob(d),
      forgetManifest: (d) => {
        const b = this.manifestBytes.get(d);
        if (b) {
          this.manifestBytes.delete(d);
          this.manifestBytesTotal -= b.length;
        }
      },
    }).finally(() => (this.gcRunning = undefined));
    return this.gcRunning;
  }
}

/** The descriptor the referrers API lists for a manifest with a subject. */
export function referrerDescriptor(m: ParsedManifest): Descriptor {
  const artifactType = artifactTypeOf(m);
  return {
    mediaType: m.mediaType,
    digest: m.digest,
    size: m.bytes.length,
    ...(artifactType ? { artifactType } : {}),
    ...(m.manifest.annotations ? { annotations: m.manifest.annotations } : {}),
  };
}
