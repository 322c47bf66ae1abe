/**
 * Extended attributes, synchronous, never following a symlink at `path`. Throws a SystemError
 * (code 'ENOTSUP' where the filesystem has no such namespace, 'EPERM', …; path).
 */
import { addon } from './native.js';

/** lsetxattr(2): creates or replaces `name` (e.g. 'trusted.overlay.opaque'). */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  addon().lsetxattr(path, name, value);
}

/** lgetxattr(2): the value, or null when `path` has no attribute `name`. */
export function lgetxattr(path: string, name: string): Buffer | null {
  return addon().lgetxattr(path, name);
}

/** llistxattr(2): the names on `path` the caller may see (trusted.* only as root). */
export function llistxattr(path: string): string[] {
  return addon().llistxattr(path);
}
