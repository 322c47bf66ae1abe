/**
 * Reads an image archive (a `docker save` tarball or an OCI image layout as a tar) in one pass:
 * metadata files (manifest.json, index.json, oci-layout, repositories, configs named `*.json`,
 * Docker's per-layer `json` and `VERSION`) are kept in memory up to a size limit; every other file
 * goes to `storeBlob` as it streams by, so a layer is written once. Files under `blobs/sha256/`
 * must hash to their names. Entries other than files, directories, symlinks and hardlinks to
 * earlier files are refused, as are names that are absolute or climb out of the archive.
 */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { sha256Digest, type Digest } from '../../util/digest.js';
import { BerthError, InvalidArgumentError, errorMessage } from '../../util/errors.js';
import { cleanArchivePath } from './archive-path.js';
import { ArchiveTree, type ArchiveFile, type ArchiveNode } from './archive-tree.js';

export interface StoredBlob {
  readonly digest: Digest;
  readonly size: number;
}

export interface ReadArchiveOptions {
  /** Stores one file's content; resolves with its digest and size (the content is read to its end). */
  storeBlob(content: AsyncIterable<Buffer>, path: string): Promise<StoredBlob>;
  /** Largest metadata file kept in memory (default 8 MiB). */
  readonly maxMetadataFileBytes?: number;
  /** Largest sum of metadata files (default 64 MiB). */
  readonly maxMetadataBytes?: number;
  /** Most entries an archive may have (default 100,000). */
  readonly maxEntries?: number;
}

const blobPath = /^blobs\/sha256\/([a-f0-9]{64})$/;

/** Whether a file at `path` is metadata read into memory rather than a blob. */
export function isMetadataPath(path: string): boolean {
  const parts = path.split('/');
  if (parts.length === 1) return ['manifest.json', 'index.json', 'oci-layout', 'repositories'].includes(path) || path.endsWith('.json');
  return parts.length === 2 && (parts[1] === 'json' || parts[1] === 'VERSION');
}

export async function readArchive(input: Readable, options: ReadArchiveOptions): Promise<ArchiveTree> {
  const maxFile = options.maxMetadataFileBytes ?? 8 * 1024 * 1024;
  const maxTotal = options.maxMetadataBytes ?? 64 * 1024 * 1024;
  const maxEntries = options.maxEntries ?? 100_000;
  const nodes = new Map<string, ArchiveNode>();
  let metadataBytes = 0;
  // Go's archive/tar (Docker) also reads pre-POSIX headers; checksums are verified either way.
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      const header = entry.header;
      if (nodes.size >= maxEntries) throw new InvalidArgumentError(`invalid archive: more than ${maxEntries} entries`);
      const path = cleanArchivePath(header.name, 'entry');
      const content = entry as AsyncIterable<Buffer>;
      switch (header.type) {
        case 'file':
        case 'contiguous-file': {
          if (path === '') throw new InvalidArgumentError(`invalid archive: entry ${JSON.stringify(header.name)} is a file at the archive root`);
          const size = header.size ?? 0;
          if (isMetadataPath(path)) {
            if (size > maxFile) {
              throw new InvalidArgumentError(`invalid archive: ${path} is ${size} bytes, more than the ${maxFile} bytes a metadata file may have`);
            }
            metadataBytes += size;
            if (metadataBytes > maxTotal) throw new InvalidArgumentError(`invalid archive: its metadata files exceed ${maxTotal} bytes`);
            const bytes = await collect(content, size);
            nodes.set(path, { kind: 'file', size: bytes.length, digest: sha256Digest(bytes), bytes });
          } else {
            const stored = await options.storeBlob(content, path);
            const named = blobPath.exec(path);
            if (named && stored.digest !== `sha256:${named[1]}`) {
              throw new InvalidArgumentError(`invalid archive: ${path} has the digest ${stored.digest}, not the one its name gives`);
            }
            nodes.set(path, { kind: 'file', size: stored.size, digest: stored.digest, bytes: null });
          }
          break;
        }
        case 'directory':
          // tar-stream gives directories no data to read, whatever their size says.
          if (path !== '' && nodes.get(path)?.kind !== 'directory') nodes.set(path, { kind: 'directory' });
          break;
        case 'symlink':
          await drain(content);
          if (!header.linkname) throw new InvalidArgumentError(`invalid archive: symlink ${JSON.stringify(header.name)} has no target`);
          nodes.set(path, { kind: 'symlink', target: header.linkname });
          break;
        case 'link': {
          await drain(content);
          const target = cleanArchivePath(header.linkname ?? '', `hardlink ${JSON.stringify(header.name)} to`);
          const node = nodes.get(target);
          if (node?.kind !== 'file') {
            throw new InvalidArgumentError(`invalid archive: hardlink ${JSON.stringify(header.name)} does not point at an earlier file (${JSON.stringify(header.linkname)})`);
          }
          nodes.set(path, node satisfies ArchiveFile);
          break;
        }
        default:
          throw new InvalidArgumentError(`invalid archive: entry ${JSON.stringify(header.name)} has the unsupported type ${header.type ?? 'unknown'}`);
      }
    }
  } catch (err) {
    extract.destroy();
    input.unpipe(extract);
    input.destroy();
    if (err instanceof BerthError) throw err;
    throw new InvalidArgumentError(`invalid archive: cannot read the tar stream: ${errorMessage(err)}`, { cause: err });
  }
  return new ArchiveTree(nodes);
}

async function collect(content: AsyncIterable<Buffer>, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of content) {
    n += c.length;
    if (n > size) throw new InvalidArgumentError('invalid archive: an entry is longer than its header says');
    chunks.push(c);
  }
  return Buffer.concat(chunks, n);
}

async function drain(content: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of content) {
    // discard
  }
}
