/**
 * What an image archive holds once read: its files by path (small metadata files in memory,
 * everything else stored as blobs by digest), its directories and its symlinks. Docker's own
 * archives use symlinks for layers two images share, so they are followed, but only within the
 * archive: a link that leads outside it, an absolute link and a loop are errors.
 */
import type { Digest } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { cleanArchivePath, resolveLinkTarget } from './archive-path.js';

export interface ArchiveFile {
  readonly kind: 'file';
  readonly size: number;
  /** sha256 of the file's bytes. */
  readonly digest: Digest;
  /** The bytes when kept in memory (metadata); null when stored as the blob `digest`. */
  readonly bytes: Buffer | null;
}

export type ArchiveNode = ArchiveFile | { readonly kind: 'directory' } | { readonly kind: 'symlink'; readonly target: string };

/** Symlinks followed for one path before giving up, as Linux does (ELOOP). */
const maxLinkHops = 40;

export class ArchiveTree {
  constructor(private readonly nodes: ReadonlyMap<string, ArchiveNode>) {}

  /** Every entry path, as read. */
  paths(): string[] {
    return [...this.nodes.keys()];
  }

  /** The node stored under the exact cleaned path, without following links. */
  node(path: string): ArchiveNode | undefined {
    return this.nodes.get(path);
  }

  /** Whether `path` (as a manifest names it) leads to a regular file. */
  hasFile(raw: string): boolean {
    try {
      return this.lookup(cleanArchivePath(raw, 'path'), raw)?.kind === 'file';
    } catch {
      return false;
    }
  }

  /**
   * The regular file a manifest's `raw` path names, following symlinks inside the archive.
   * `what` describes the path in errors (`manifest.json Layers[2]`).
   */
  file(raw: string, what: string): ArchiveFile {
    const node = this.lookup(cleanArchivePath(raw, what), raw);
    if (!node) throw new InvalidArgumentError(`invalid archive: ${what} ${JSON.stringify(raw)} is not in the archive`);
    if (node.kind !== 'file') throw new InvalidArgumentError(`invalid archive: ${what} ${JSON.stringify(raw)} is not a regular file`);
    return node;
  }

  private lookup(path: string, raw: string): ArchiveNode | undefined {
    let hops = 0;
    let current = path;
    walk: for (;;) {
      const parts = current === '' ? [] : current.split('/');
      let prefix = '';
      for (let i = 0; i < parts.length; i++) {
        prefix = prefix === '' ? parts[i]! : `${prefix}/${parts[i]}`;
        const n = this.nodes.get(prefix);
        if (n?.kind === 'symlink') {
          if (++hops > maxLinkHops) throw new InvalidArgumentError(`invalid archive: too many levels of symbolic links resolving ${JSON.stringify(raw)}`);
          const target = resolveLinkTarget(prefix, n.target);
          const rest = parts.slice(i + 1).join('/');
          current = rest === '' ? target : target === '' ? rest : `${target}/${rest}`;
          continue walk;
        }
        if (n?.kind === 'file' && i < parts.length - 1) return undefined;
      }
      return this.nodes.get(current);
    }
  }
}
