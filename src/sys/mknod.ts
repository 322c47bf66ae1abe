import { addon } from './native.js';

/**
 * mknod(2), synchronous. `mode` holds the file type (fs.constants.S_IFCHR, S_IFBLK, S_IFIFO) and
 * the permission bits (the umask still applies). A character device 0:0 is overlayfs's whiteout.
 * Throws a SystemError (code 'EEXIST', 'EPERM', …; syscall 'mknod'; path).
 */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  addon().mknod(path, mode, major, minor);
}
