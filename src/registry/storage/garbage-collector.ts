/**
 * Online garbage collection: mark, then sweep, while the registry keeps serving pulls and pushes.
 *
 * - The collection starts by noting its start time and telling the BlobGuard, so every digest a
 *   push leases from then on is pinned for the rest of the run (the mark may already have walked
 *   past the manifest that now references it).
 * - Mark: every manifest revision of every repository is a root; it and all it references
 *   (config, layers, child manifests) are live, globally and in that repository.
 * - Sweep, repository links: a link to a blob that no manifest of the repository references,
 *   older than the grace period and not protected by the guard, is removed.
 * - Sweep, blobs: a blob no manifest references anywhere, whose file and last use are older than
 *   `start - grace`, and that the guard does not protect, is removed with its remaining links.
 *   The check and the decision happen in one synchronous step (BlobGuard.deleteUnlessProtected);
 *   a push that leases the digest meanwhile waits for the removal and then finds it gone.
 *
 * So blobs uploaded but not referenced yet survive the grace period, pushes in flight are never
 * raced, and nothing needs a read-only window.
 */
import type { Digest } from '../../util/digest.js';
import type { Logger } from '../../util/log.js';
import { parseManifest, referencedDescriptors } from '../../distribution/index.js';
import type { BlobGuard } from './blob-guard.js';
import type { BlobStore } from './blob-store.js';
import type { RepositoryStore } from './repository-store.js';

export interface GcStats {
  readonly manifests: number;
  readonly marked: number;
  readonly blobsDeleted: number;
  readonly bytesFreed: number;
  readonly linksDeleted: number;
  readonly durationMs: number;
}

export interface GcDeps {
  readonly blobs: BlobStore;
  readonly repos: RepositoryStore;
  readonly guard: BlobGuard;
  readonly graceMs: number;
  readonly now: () => number;
  readonly logger: Logger;
  readManifest(d: Digest): Promise<Buffer | undefined>;
  forgetManifest(d: Digest): void;
}

export async function collectGarbage(deps: GcDeps): Promise<GcStats> {
  const { blobs, repos, guard, logger } = deps;
  const started = deps.now();
  const cutoff = started - deps.graceMs;
  guard.beginCollection();
  let manifests = 0;
  let blobsDeleted = 0;
  let bytesFreed = 0;
  let linksDeleted = 0;
  const marked = new Set<Digest>();
  try {
    // Mark.
    const repoLive = new Map<string, Set<Digest>>();
    for (const repo of [...repos.repositories()]) {
      const live = new Set<Digest>();
      repoLive.set(repo, live);
      for (const d of await repos.revisions(repo)) {
        manifests++;
        live.add(d);
        marked.add(d);
        const bytes = await deps.readManifest(d);
        if (!bytes) continue;
        try {
          for (const r of referencedDescriptors(parseManifest(bytes))) {
            live.add(r.digest);
            marked.add(r.digest);
          }
        } catch (err) {
          logger.warn('gc: a stored manifest does not parse; its references are kept by its own links only', { repository: repo, digest: d, error: err as Error });
        }
      }
    }

    // Sweep repository links; remember which repositories still link each blob.
    const linkedFrom = new Map<Digest, string[]>();
    for (const [repo, live] of repoLive) {
      for (const { digest, mtimeMs } of await repos.blobLinks(repo)) {
        if (live.has(digest) || mtimeMs >= cutoff) {
          linkedFrom.set(digest, [...(linkedFrom.get(digest) ?? []), repo]);
          continue;
        }
        const removed = await guard.deleteUnlessProtected(digest, cutoff, async () => {
          await repos.unlinkBlob(repo, digest);
        });
        if (removed) linksDeleted++;
        else linkedFrom.set(digest, [...(linkedFrom.get(digest) ?? []), repo]);
      }
    }

    // Sweep blobs.
    for await (const d of blobs.list()) {
      if (marked.has(d)) continue;
      const info = await blobs.stat(d);
      if (!info || info.mtimeMs >= cutoff) continue;
      const removed = await guard.deleteUnlessProtected(d, cutoff, async () => {
        for (const repo of linkedFrom.get(d) ?? []) if (await repos.unlinkBlob(repo, d)) linksDeleted++;
        await blobs.delete(d);
        deps.forgetManifest(d);
      });
      if (removed) {
        blobsDeleted++;
        bytesFreed += info.size;
      }
    }
  } finally {
    guard.endCollection(cutoff);
  }
  const stats = { manifests, marked: marked.size, blobsDeleted, bytesFreed, linksDeleted, durationMs: deps.now() - started };
  logger.info('gc: collection done', { ...stats });
  return stats;
}
