/**
 * The syscalls Node lacks, injected so this folder never loads the native addon (src/sys
 * provides them; tests use RecordingFsOps). Each may be synchronous or return a promise, and
 * throws a Node-style error with `code` ('EEXIST', 'EPERM' …) on failure.
 */

/** What applyLayer needs to create device nodes, fifos, whiteouts and xattrs. */
export interface LayerFsOps {
  /** mknod(2): `mode` carries the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits. */
  mknod(path: string, mode: number, major: number, minor: number): void | Promise<void>;
  /** lsetxattr(2): never follows a symlink at `path`. */
  lsetxattr(path: string, name: string, value: Buffer): void | Promise<void>;
  /**
   * Optional: creates a batch of new files in one go (src/sys createFiles has the contract:
   * NUL-terminated paths, contents back to back, six numbers per file in `meta`: length, uid,
   * gid, mode, atime, mtime). A failure rejects with an error carrying `index`, the failed file.
   * Without it, small files are created one fs call at a time.
   */
  createFiles?(names: Buffer, data: Buffer, meta: Float64Array): Promise<void>;
}

/** What packDirectory needs to store xattrs. */
export interface XattrReader {
  /** llistxattr(2): the names of the xattrs on `path`, never following a symlink. */
  llistxattr(path: string): string[] | Promise<string[]>;
  /** lgetxattr(2) */
  lgetxattr(path: string, name: string): Buffer | Promise<Buffer>;
}

/** Linux file-type bits for mknod. */
export const fileTypeBits = {
  S_IFIFO: 0o010000,
  S_IFCHR: 0o020000,
  S_IFBLK: 0o060000,
} as const;

/**
 * xattrs overlayfs keeps for itself. A layer must not smuggle them in (a forged
 * `trusted.overlay.redirect` or `…opaque` changes what the merged tree shows), and a packed
 * directory (an overlay upper dir) must not leak them; whiteouts are expressed as `.wh.` entries.
 */
export function isOverlayPrivateXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}
