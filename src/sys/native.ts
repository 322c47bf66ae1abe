/**
 * The one place that loads the native addon (build/Release/berth_native.node, built by node-gyp).
 * It is loaded on first use, so importing src/sys costs nothing where no syscall is made.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnavailableError } from '../util/errors.js';

declare const socketHandleBrand: unique symbol;
/** An open SOCK_SEQPACKET fd with its event-loop watcher, owned by the addon. */
export type SocketHandle = { readonly [socketHandleBrand]: true };

/** Numbers the addon takes from the C headers. */
export interface NativeConstants {
  readonly UV_READABLE: number;
  readonly UV_WRITABLE: number;
  readonly SHUT_RD: number;
  readonly SHUT_WR: number;
  readonly SHUT_RDWR: number;
  readonly RECV_BUFFER_SIZE: number;
  readonly MS_RDONLY: number;
  readonly MS_NOSUID: number;
  readonly MS_NODEV: number;
  readonly MS_NOEXEC: number;
  readonly MS_REMOUNT: number;
  readonly MS_BIND: number;
  readonly MS_REC: number;
  readonly MS_PRIVATE: number;
  readonly MS_SLAVE: number;
  readonly MS_SHARED: number;
  readonly MNT_DETACH: number;
  readonly MNT_FORCE: number;
}

/** What native/*.c exports. Failed syscalls throw (or reject with) a SystemError. */
export interface NativeAddon {
  readonly constants: NativeConstants;
  /** A connected, non-blocking, close-on-exec fd; throws EAGAIN when the listener's backlog is full. */
  seqpacketConnect(path: string): number;
  /** Takes ownership of `fd` (closing it also when this throws after checking its arguments). */
  socketOpen(fd: number, onEvent: (status: number, events: number) => void): SocketHandle;
  socketPoll(handle: SocketHandle, events: number): void;
  /** One packet; null when none is waiting; an empty Buffer at end of stream. */
  socketRecv(handle: SocketHandle): Buffer | null;
  /** Bytes sent as one packet, or -1 when the socket buffer is full. */
  socketSend(handle: SocketHandle, buffer: Buffer, offset: number, length: number): number;
  socketShutdown(handle: SocketHandle, how: number): void;
  /** Starts closing; `onClose` runs once the fd is closed. False if already closing. */
  socketClose(handle: SocketHandle, onClose?: () => void): boolean;
  mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): Promise<void>;
  umount(target: string, flags: number): Promise<void>;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  createFiles(names: Buffer, data: Buffer, meta: Float64Array): Promise<void>;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  /** Test support: the server half of SOCK_SEQPACKET, which Berth itself never needs. */
  testSeqpacketListen(path: string, backlog: number): number;
  testSeqpacketAccept(listenFd: number, timeoutMs: number): Promise<number>;
  testSeqpacketPair(): [number, number];
}

const ADDON_FILE = join('build', 'Release', 'berth_native.node');

/**
 * The addon's path: build/Release under the nearest directory holding package.json. Walking up
 * finds it both from src/sys (sources) and from dist/src/sys (compiled output).
 */
export function addonPath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; ) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, ADDON_FILE);
    const parent = dirname(dir);
    if (parent === dir) throw new UnavailableError(`Cannot load the native addon: no package.json above ${from}`);
    dir = parent;
  }
}

let loaded: NativeAddon | undefined;

export function addon(): NativeAddon {
  if (loaded) return loaded;
  const path = addonPath();
  try {
    loaded = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    throw new UnavailableError(`Cannot load the native addon ${path}: run \`npm run build\``, { cause: err });
  }
  return loaded;
}
