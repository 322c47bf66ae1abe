/** Builds a tar from an in-memory description (the busybox bootstrap image, generated files). */
import { Readable } from 'node:stream';
import type { TarEntry } from './tar-entry.js';
import { tarChunks, type TarWriterOptions } from './tar-writer.js';

export type PackEntriesOptions = TarWriterOptions;

/**
 * A tar of `entries`, in the order given. Deterministic: the same entries give the same bytes
 * (times in whole seconds, entries without `mtime` get `options.mtime` or the epoch, no user or
 * group names). Parents are not implied: list directories before their contents. Hardlinks must
 * name an earlier non-directory entry. Invalid entries (names escaping the root, NUL bytes, bad
 * ids) make the stream fail with InvalidArgumentError; a host file that shrinks while read,
 * with InternalError.
 */
export function packEntries(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>, options: PackEntriesOptions = {}): Readable {
  return Readable.from(tarChunks(entries, options), { objectMode: false });
}
