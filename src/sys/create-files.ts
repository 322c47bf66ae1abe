import { addon } from './native.js';

/**
 * Creates a batch of new regular files in one libuv threadpool job (native/create-files.c): for
 * each, open(O_CREAT|O_EXCL|O_NOFOLLOW), write, fchown, fchmod, futimens, close, in order.
 *
 * - `names`: the files' absolute paths, each followed by a NUL byte.
 * - `data`: their contents, one after the other.
 * - `meta`: six numbers per file: data length, uid, gid, mode, atime, mtime (seconds, fractional).
 *
 * Stops at the first failure and rejects with a SystemError (`code`, `syscall`, `path`) that also
 * carries `index`, the failed file's position; the files before it exist, the ones after do not.
 * Malformed arguments throw a TypeError before anything is created.
 */
export function createFiles(names: Buffer, data: Buffer, meta: Float64Array): Promise<void> {
  return addon().createFiles(names, data, meta);
}
