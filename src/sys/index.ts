/**
 * What Node cannot do by itself, over the native addon: SOCK_SEQPACKET sockets (conmon's attach
 * socket), mount(2), mknod(2), extended attributes and batched creation of
 * small files. Nothing else in Berth loads the addon.
 */
export {
  SeqpacketSocket,
  DEFAULT_MAX_PACKET,
  type SeqpacketSocketOptions,
  type SeqpacketConnectOptions,
} from './seqpacket-socket.js';
export {
  mount,
  umount,
  MS_RDONLY,
  MS_NOSUID,
  MS_NODEV,
  MS_NOEXEC,
  MS_REMOUNT,
  MS_BIND,
  MS_REC,
  MS_PRIVATE,
  MS_SLAVE,
  MS_SHARED,
  MNT_FORCE,
  MNT_DETACH,
} from './mount.js';
export { mknod } from './mknod.js';
export { lsetxattr, lgetxattr, llistxattr } from './xattr.js';
export { createFiles } from './create-files.js';
export { isSystemError, type SystemError } from './system-error.js';
