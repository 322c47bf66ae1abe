/**
 * The container's mount table: Docker's default kernel filesystems, the init binary, then the
 * caller's bind and tmpfs mounts (parents before children). A caller's mount replaces a default
 * at the same destination; a caller's /dev replaces every default under /dev.
 */
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../util/errors.js';
import type { OciMount, OciPropagation } from './oci-types.js';
import { defaultTmpfsOptions, mergeTmpfsOptions } from './tmpfs-options.js';

/** Docker's default /dev/shm size: 64 MiB. */
export const defaultShmSize = 64 * 1024 * 1024;

/** Where Docker's --init binary appears inside the container. */
export const initPathInContainer = '/sbin/docker-init';

export interface BindMountInput {
  /** Absolute host path. */
  readonly source: string;
  /** Absolute path in the container. */
  readonly destination: string;
  readonly readonly?: boolean;
  /**
   * Make a read-only bind read-only in its submounts too (`rro`, Docker's default from API 1.44
   * when the runtime and kernel support it). Ignored for writable mounts.
   */
  readonly recursiveReadonly?: boolean;
  /** Default rprivate, as Docker's. */
  readonly propagation?: OciPropagation;
  /** `bind` instead of `rbind`: submounts of the source are not carried along. */
  readonly nonRecursive?: boolean;
}

export interface TmpfsMountInput {
  readonly destination: string;
  /** The user's options (or parseTmpfsMountOptions output); Docker's defaults are merged in. */
  readonly options: readonly string[];
}

export interface MountTableInput {
  readonly readonlyRootfs: boolean;
  /** Bytes for /dev/shm; default 64 MiB. */
  readonly shmSize?: number;
  /** IPC mode none: no /dev/shm at all. */
  readonly noShm?: boolean;
  /** Host path of the static init binary; mounted only when given. */
  readonly initHostPath?: string;
  readonly binds?: readonly BindMountInput[];
  readonly tmpfs?: readonly TmpfsMountInput[];
}

/** Docker's default mounts for a non-privileged container, /dev/shm sized. */
export function defaultMounts(shmSize: number = defaultShmSize): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
}

/** Mounts a read-only rootfs leaves writable: the kernel filesystems a process needs to work. */
const writableWithReadonlyRootfs = new Set(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue']);

/** An absolute, normalized container or host path (no trailing slash, no `..`). */
export function cleanAbsolutePath(path: string, what: string): string {
  if (!path.startsWith('/')) throw new InvalidArgumentError(`invalid mount config: invalid ${what} path: '${path}' mount path must be absolute`);
  const cleaned = posix.normalize(path);
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}

function depth(destination: string): number {
  return destination === '/' ? 0 : destination.split('/').length - 1;
}

function bindMount(b: BindMountInput): OciMount {
  const options = [b.nonRecursive ? 'bind' : 'rbind'];
  if (b.readonly) options.push(b.recursiveReadonly ? 'rro' : 'ro');
  options.push(b.propagation ?? 'rprivate');
  return {
    destination: cleanAbsolutePath(b.destination, 'destination'),
    type: 'bind',
    source: cleanAbsolutePath(b.source, 'source'),
    options,
  };
}

function tmpfsMount(t: TmpfsMountInput): OciMount {
  return {
    destination: cleanAbsolutePath(t.destination, 'destination'),
    type: 'tmpfs',
    source: 'tmpfs',
    options: mergeTmpfsOptions([...defaultTmpfsOptions, ...t.options]),
  };
}

/**
 * The full mount list. Caller mounts are sorted by depth (stable), so `/data` comes before
 * `/data/cache`; two caller mounts at one destination are an InvalidArgumentError. With a
 * read-only rootfs, default mounts other than /proc and the /dev family get `ro`; caller mounts
 * keep their own mode.
 */
export function buildMounts(input: MountTableInput): OciMount[] {
  const shmSize = input.shmSize ?? defaultShmSize;
  if (!Number.isSafeInteger(shmSize) || shmSize <= 0) throw new InvalidArgumentError(`invalid shm size: ${shmSize}`);

  const user = [...(input.binds ?? []).map(bindMount), ...(input.tmpfs ?? []).map(tmpfsMount)];
  const taken = new Set<string>();
  for (const m of user) {
    if (taken.has(m.destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.destination}`);
    taken.add(m.destination);
  }
  user.sort((a, b) => depth(a.destination) - depth(b.destination));

  const base = defaultMounts(shmSize);
  if (input.initHostPath !== undefined) {
    base.push({ destination: initPathInContainer, type: 'bind', source: cleanAbsolutePath(input.initHostPath, 'init'), options: ['bind', 'ro'] });
  }
  const userDev = taken.has('/dev');
  const kept = base.filter((m) => {
    if (taken.has(m.destination)) return false;
    if (userDev && m.destination.startsWith('/dev/')) return false;
    if (m.destination === '/dev/shm' && input.noShm) return false;
    return true;
  });
  if (input.readonlyRootfs) {
    for (const m of kept) {
      if (!writableWithReadonlyRootfs.has(m.destination) && !m.options.includes('ro')) m.options.push('ro');
    }
  }
  return [...kept, ...user];
}
