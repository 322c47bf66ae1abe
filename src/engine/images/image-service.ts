/**
 * Image operations with Docker's rules on top of the image store: import, tag, and removal that
 * refuses while containers use an image, plus the events each emits.
 */
import { Readable } from 'node:stream';
import { goArch } from '../../util/go-arch.js';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../util/errors.js';
import { nowRfc3339Nano } from '../../util/time.js';
import { shortId } from '../../util/ids.js';
import {
  parseReference,
  withDefaultTag,
  familiarString,
  formatReference,
  looksLikeFullId,
  repositoryName,
} from '../../util/reference.js';
import type { Digest } from '../../util/digest.js';
import type { ContentStore } from '../../content/index.js';
import type { Snapshotter } from '../../snapshots/index.js';
import {
  applyConfigChanges,
  mediaTypes,
  type ImageConfig,
  type ImageRecord,
  type ImageStore,
  type LayerUnpacker,
} from '../../images/index.js';
import type { Logger } from '../../util/log.js';
import type { EventBus } from '../events.js';
import type { ContainerStore } from '../container-store.js';
import { decompressedStream } from './decompress.js';

export interface ImportOptions {
  readonly repo?: string;
  readonly tag?: string;
  readonly changes?: readonly string[];
  readonly message?: string;
  readonly source?: string;
}

export type DeleteResult = Array<{ Untagged: string } | { Deleted: string }>;

export class ImageService {
  constructor(
    readonly store: ImageStore,
    private readonly content: ContentStore,
    private readonly snapshots: Snapshotter,
    private readonly containers: ContainerStore,
    private readonly unpack: LayerUnpacker,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  /** `docker import`: a root filesystem tarball (plain or gzip) becomes a one-layer image. */
  async importRootfs(input: Readable, opts: ImportOptions): Promise<ImageRecord> {
    const refs = [];
    if (opts.repo) {
      const ref = withDefaultTag(parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo));
      if (ref.digest) throw new InvalidArgumentError('cannot import to a digest reference');
      refs.push(ref);
    }
    const runtimeConfig = applyConfigChanges({}, opts.changes ?? []);
    const tar = await decompressedStream(input);
    const blob = await this.content.writeStream(tar);
    const diffId = blob.digest;
    const existed = this.snapshots.has(diffId);
    try {
      await this.snapshots.ensureCommitted(diffId, null, async (dir) => {
        await this.unpack(this.content.readStream(diffId), mediaTypes.ociLayer, dir);
      });
    } catch (err) {
      if (!existed && !this.blobInUse(diffId)) await this.content.delete(diffId);
      throw err;
    }
    const created = nowRfc3339Nano();
    const config: ImageConfig = {
      created,
      architecture: goArch(),
      os: 'linux',
      config: runtimeConfig,
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, created_by: '', comment: opts.message || `Imported from ${opts.source ?? '-'}` }],
      ...(opts.message ? { comment: opts.message } : {}),
    };
    const img = await this.store.add({
      config,
      layers: [{ digest: diffId, mediaType: mediaTypes.ociLayer, size: blob.size, diffId }],
      refs,
    });
    this.events.publish('image', 'import', img.id, { name: img.id });
    for (const r of refs) this.events.publish('image', 'tag', img.id, { name: familiarString(r) });
    return img;
  }

  private blobInUse(digest: Digest): boolean {
    return this.store.list().some((i) => i.id === digest || i.manifestDigest === digest || i.layers.some((l) => l.digest === digest));
  }

  tag(source: string, repo: string, tag: string | undefined): void {
    const img = this.store.resolve(source);
    const target = tag ? `${repo}:${tag}` : repo;
    if (looksLikeFullId(repo) && !tag) throw new InvalidArgumentError(`refusing to create an ambiguous tag using digest algorithm as name`);
    this.store.tag(img.id, target);
    this.events.publish('image', 'tag', img.id, { name: familiarString(withDefaultTag(parseReference(target))) });
  }

  /** Familiar tags (`busybox:latest`) and digests (`busybox@sha256:…`) of an image. */
  namesOf(id: Digest): { tags: string[]; digests: string[] } {
    const tags: string[] = [];
    const digests: string[] = [];
    for (const name of this.store.refsOf(id)) {
      const ref = parseReference(name);
      if (ref.digest) digests.push(familiarString(ref));
      else tags.push(familiarString(ref));
    }
    return { tags, digests };
  }

  /** The name to show for a container's image: what the user asked for, if it still points there. */
  displayName(requested: string, id: Digest): string {
    const img = this.store.tryResolve(requested);
    if (img && img.id === id) return requested;
    const { tags } = this.namesOf(id);
    return tags[0] ?? shortId(id);
  }

  private usersOf(id: Digest): { running: string[]; stopped: string[] } {
    const running: string[] = [];
    const stopped: string[] = [];
    for (const c of this.containers.all()) {
      if (c.Image !== id) continue;
      (c.State.Running ? running : stopped).push(c.Id);
    }
    return { running, stopped };
  }

  /** `docker rmi` with Docker's rules and messages. */
  async remove(ref: string, opts: { force?: boolean; noPrune?: boolean }): Promise<DeleteResult> {
    const img = this.store.resolve(ref);
    const out: DeleteResult = [];
    const refs = this.store.refsOf(img.id);
    const users = this.usersOf(img.id);
    const byName = this.isNameReference(ref, img.id);

    if (byName) {
      const parsed = withDefaultTag(parseReference(ref));
      const normalized = formatReference(parsed);
      let remaining = refs.filter((r) => r !== normalized);
      // Removing the last tag of a repository also removes that repository's digest
      // references (RepoDigests), as Docker does; other repositories keep theirs.
      let digestsToo: string[] = [];
      if (!parsed.digest) {
        const repo = repositoryName(parsed);
        const sameRepo = remaining.map((r) => ({ r, p: parseReference(r) })).filter((x) => repositoryName(x.p) === repo);
        if (!sameRepo.some((x) => !x.p.digest)) digestsToo = sameRepo.map((x) => x.r);
        remaining = remaining.filter((r) => !digestsToo.includes(r));
      }
      if (remaining.length === 0 && !opts.force) {
        const user = users.running[0] ?? users.stopped[0];
        if (user) {
          throw new ConflictError(
            `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(user)} is using its referenced image ${shortId(img.id)}`,
          );
        }
      }
      const { name } = this.store.untag(ref);
      out.push({ Untagged: name });
      this.events.publish('image', 'untag', img.id, { name });
      for (const r of digestsToo) {
        const u = this.store.untag(r);
        out.push({ Untagged: u.name });
        this.events.publish('image', 'untag', img.id, { name: u.name });
      }
      if (remaining.length > 0) return out;
    } else {
      if (!isSingleReference(refs) && refs.length > 0 && !opts.force) {
        throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
      }
    }
    if (users.running.length) {
      throw new ConflictError(
        `conflict: unable to delete ${byName ? ref : shortId(img.id)} (cannot be forced) - image is being used by running container ${shortId(users.running[0]!)}`,
      );
    }
    if (users.stopped.length && !opts.force) {
      throw new ConflictError(
        `conflict: unable to delete ${byName ? ref : shortId(img.id)} (must be forced) - image is being used by stopped container ${shortId(users.stopped[0]!)}`,
      );
    }
    if (users.stopped.length) {
      // Forced while stopped containers use it: Docker keeps the image, only untags it.
      for (const r of this.store.refsOf(img.id)) {
        const { name } = this.store.untag(r);
        out.push({ Untagged: name });
        this.events.publish('image', 'untag', img.id, { name });
      }
      return out;
    }
    for (const r of this.store.refsOf(img.id)) {
      const { name } = this.store.untag(r);
      out.push({ Untagged: name });
      this.events.publish('image', 'untag', img.id, { name });
    }
    this.store.delete(img.id);
    out.push({ Deleted: img.id });
    this.events.publish('image', 'delete', img.id, { name: img.id });
    if (!opts.noPrune) await this.collectGarbage();
    return out;
  }

  private isNameReference(ref: string, id: Digest): boolean {
    const hex = id.slice(7);
    const r = ref.startsWith('sha256:') ? ref.slice(7) : ref;
    if (/^[a-f0-9]+$/.test(r) && hex.startsWith(r)) {
      // A hex string is an id prefix unless it is also a tagged name of this image.
      try {
        return this.store.refsOf(id).includes(formatReference(withDefaultTag(parseReference(ref))));
      } catch {
        return false;
      }
    }
    return true;
  }

  /** Removes blobs and layers no image or container references. */
  async collectGarbage(): Promise<void> {
    const inUse = new Set(this.containers.all().map((c) => c.SnapshotKey));
    const r = await this.store.gc(inUse);
    if (r.blobs || r.snapshots) this.log.info('garbage collected', r);
  }

  ensureExists(ref: string): ImageRecord {
    const img = this.store.tryResolve(ref);
    if (!img) throw new NotFoundError(`No such image: ${ref}`);
    return img;
  }

  static emptyTar(): Readable {
    return Readable.from([Buffer.alloc(1024)]);
  }
}

/**
 * Docker's isSingleReference: at most one tag, and every reference (tags and digests) in one
 * repository; such an image may be deleted by id without force.
 */
function isSingleReference(refs: readonly string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const parsed = refs.map((r) => parseReference(r));
  if (parsed.filter((p) => !p.digest).length > 1) return false;
  return new Set(parsed.map((p) => repositoryName(p))).size === 1;
}
