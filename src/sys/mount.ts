/**
 * mount(2) and umount2(2), run on the libuv threadpool. Failures reject with a SystemError
 * (`code`, `syscall` 'mount' or 'umount', `path`; for mount also `dest`, the target).
 */
import { addon } from './native.js';

// Linux's mount flags (include/uapi/linux/mount.h): kernel ABI, fixed for good. Kept as literals
// so that naming one does not load the addon; native.test.ts checks them against the C headers.
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
// umount2 flags.
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;

/**
 * mount(2). `fstype` and `data` may be null (bind mounts, remounts, propagation changes).
 * Overlay options go in `data`: "lowerdir=a:b,upperdir=c,workdir=d".
 */
export async function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): Promise<void> {
  return addon().mount(source, target, fstype, flags, data);
}

/** umount2(2); `flags` is 0 or a mix of MNT_DETACH and MNT_FORCE. */
export async function umount(target: string, flags = 0): Promise<void> {
  return addon().umount(target, flags);
}
