/**
 * What each repository holds: links to blobs, manifest revisions (with their media type), tags,
 * and the referrers index by subject. Manifest bytes themselves are blobs. Every file is written
 * atomically (temp beside it, fsync, rename, fsync dir); a link's presence is the fact.
 *
 * Caches: this process is the only writer of its root (a lock file guarantees it), so tags,
 * revisions and the catalog are kept in memory once read and updated by the writes here.
 */
import { open, readFile, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isDigest, type Digest } from '../../util/digest.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import type { Descriptor } from '../../distribution/index.js';
import { ensureDir, fsyncDir, isNotFound, isTempName, listDir, statOrUndefined } from './fs-helpers.js';
import type { StoragePaths } from './paths.js';

async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export class RepositoryStore {
  private catalog: Set<string> | undefined;
  private sortedCatalog: string[] | undefined;
  /** `<repo>@<digest>` → media type, for revisions known to exist. */
  private readonly revisionCache = new Map<string, string>();
  /** `<repo>:<tag>` → digest. */
  private readonly tagCache = new Map<string, Digest>();
  private readonly linkCache = new Set<string>();
  private readonly tagLocks = new KeyedMutex();

  constructor(private readonly paths: StoragePaths) {}

  async init(): Promise<void> {
    await ensureDir(this.paths.repositories);
    this.catalog = new Set(await this.scanRepositories());
    this.sortedCatalog = undefined;
  }

  /** Walks repositories/ for directories holding `_manifests` or `_layers`; removes torn temp files on the way. */
  private async scanRepositories(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, name: string): Promise<void> => {
      const entries = await listDir(dir);
      if (name && (entries.includes('_manifests') || entries.includes('_layers'))) {
        found.push(name);
        await this.repairRepository(name);
      }
      for (const e of entries) {
        if (e.startsWith('_') || e.startsWith('.')) continue;
        await walk(join(dir, e), name ? `${name}/${e}` : e);
      }
    };
    await walk(this.paths.repositories, '');
    return found;
  }

  private async repairRepository(name: string): Promise<void> {
    for (const dir of [this.paths.tags(name), this.paths.revisions(name), this.paths.layerLinks(name)]) {
      for (const e of await listDir(dir)) if (isTempName(e)) await unlink(join(dir, e)).catch(() => {});
    }
  }

  repositories(): string[] {
    this.sortedCatalog ??= [...(this.catalog ?? [])].sort();
    return this.sortedCatalog;
  }

  hasRepository(name: string): boolean {
    return this.catalog?.has(name) ?? false;
  }

  private noteRepository(name: string): void {
    if (this.catalog && !this.catalog.has(name)) {
      this.catalog.add(name);
      this.sortedCatalog = undefined;
    }
  }

  // Blob links.

  async linkBlob(name: string, d: Digest): Promise<void> {
    const path = this.paths.layerLink(name, d);
    const dir = dirname(path);
    await ensureDir(dir);
    await (await open(path, 'w', 0o644)).close();
    await fsyncDir(dir);
    this.linkCache.add(`${name}@${d}`);
    this.noteRepository(name);
  }

  async hasBlobLink(name: string, d: Digest): Promise<boolean> {
    const key = `${name}@${d}`;
    if (this.linkCache.has(key)) return true;
    const ok = (await statOrUndefined(this.paths.layerLink(name, d))) !== undefined;
    if (ok) {
      if (this.linkCache.size > 200_000) this.linkCache.clear();
      this.linkCache.add(key);
    }
    return ok;
  }

  async unlinkBlob(name: string, d: Digest): Promise<boolean> {
    this.linkCache.delete(`${name}@${d}`);
    return unlinkIfPresent(this.paths.layerLink(name, d));
  }

  async blobLinks(name: string): Promise<Array<{ digest: Digest; mtimeMs: number }>> {
    const out: Array<{ digest: Digest; mtimeMs: number }> = [];
    for (const hex of await listDir(this.paths.layerLinks(name))) {
      const d = `sha256:${hex}`;
      if (!isDigest(d)) continue;
      const s = await statOrUndefined(this.paths.layerLink(name, d));
      if (s) out.push({ digest: d, mtimeMs: s.mtimeMs });
    }
    return out;
  }

  // Manifest revisions.

  async putRevision(name: string, d: Digest, mediaType: string): Promise<void> {
    const path = this.paths.revision(name, d);
    await ensureDir(dirname(path));
    await writeFileAtomic(path, mediaType);
    this.revisionCache.set(`${name}@${d}`, mediaType);
    this.noteRepository(name);
  }

  /** The media type of revision `d`, or undefined when the repository has no such manifest. */
  async revision(name: string, d: Digest): Promise<string | undefined> {
    const key = `${name}@${d}`;
    const cached = this.revisionCache.get(key);
    if (cached !== undefined) return cached;
    try {
      const mediaType = await readFile(this.paths.revision(name, d), 'utf8');
      if (this.revisionCache.size > 100_000) this.revisionCache.clear();
      this.revisionCache.set(key, mediaType);
      return mediaType;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async deleteRevision(name: string, d: Digest): Promise<boolean> {
    this.revisionCache.delete(`${name}@${d}`);
    return unlinkIfPresent(this.paths.revision(name, d));
  }

  async revisions(name: string): Promise<Digest[]> {
    return (await listDir(this.paths.revisions(name))).map((h) => `sha256:${h}`).filter(isDigest);
  }

  // Tags.

  async setTag(name: string, tag: string, d: Digest): Promise<void> {
    await this.tagLocks.run(`${name}:${tag}`, async () => {
      await ensureDir(this.paths.tags(name));
      await writeFileAtomic(this.paths.tag(name, tag), d);
      this.tagCache.set(`${name}:${tag}`, d);
    });
    this.noteRepository(name);
  }

  async resolveTag(name: string, tag: string): Promise<Digest | undefined> {
    const key = `${name}:${tag}`;
    const cached = this.tagCache.get(key);
    if (cached !== undefined) return cached;
    try {
      const d = (await readFile(this.paths.tag(name, tag), 'utf8')).trim();
      if (!isDigest(d)) return undefined;
      if (this.tagCache.size > 100_000) this.tagCache.clear();
      this.tagCache.set(key, d);
      return d;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The tag file's modification time (a pull-through cache's "confirmed at"), undefined without the tag. */
  async tagModifiedAt(name: string, tag: string): Promise<number | undefined> {
    return (await statOrUndefined(this.paths.tag(name, tag)))?.mtimeMs;
  }

  /** Sets the tag file's time to now, unless the tag is gone meanwhile. */
  async touchTag(name: string, tag: string): Promise<void> {
    await this.tagLocks.run(`${name}:${tag}`, async () => {
      const now = new Date();
      await utimes(this.paths.tag(name, tag), now, now).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    });
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    return this.tagLocks.run(`${name}:${tag}`, async () => {
      this.tagCache.delete(`${name}:${tag}`);
      return unlinkIfPresent(this.paths.tag(name, tag));
    });
  }

  async tags(name: string): Promise<string[]> {
    return (await listDir(this.paths.tags(name))).filter((t) => !isTempName(t)).sort();
  }

  // Referrers.

  async addReferrer(name: string, subject: Digest, descriptor: Descriptor): Promise<void> {
    const path = this.paths.referrer(name, subject, descriptor.digest);
    await ensureDir(dirname(path));
    await writeFileAtomic(path, JSON.stringify(descriptor));
  }

  async removeReferrer(name: string, subject: Digest, d: Digest): Promise<void> {
    await unlinkIfPresent(this.paths.referrer(name, subject, d));
  }

  async referrers(name: string, subject: Digest): Promise<Descriptor[]> {
    const dir = this.paths.referrers(name, subject);
    const out: Descriptor[] = [];
    for (const e of (await listDir(dir)).sort()) {
      if (isTempName(e)) continue;
      try {
        out.push(JSON.parse(await readFile(join(dir, e), 'utf8')) as Descriptor);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }
}
