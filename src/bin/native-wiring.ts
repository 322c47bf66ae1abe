/**
 * Connects the engine's abstract needs to this host's implementations: mounts and attach
 * sockets through the native addon, layer unpacking through the safe tar extractor.
 */
import type { Duplex, Readable } from 'node:stream';
import { mount, umount, mknod, lsetxattr, createFiles, SeqpacketSocket } from '../sys/index.js';
import { applyLayer } from '../util/tar/index.js';
import type { Mounter } from '../snapshots/index.js';
import type { UnpackedLayer } from '../images/index.js';
import { decompressedStream } from '../engine/images/decompress.js';

export const nativeMounter: Mounter = { mount, umount };

export function connectSeqpacket(path: string): Promise<Duplex> {
  return SeqpacketSocket.connect(path);
}

/** Unpacks a layer blob (any supported compression) into its own snapshot directory. */
export async function layerUnpacker(blob: Readable, _mediaType: string, dir: string): Promise<UnpackedLayer> {
  const tar = await decompressedStream(blob);
  const r = await applyLayer(tar, dir, { whiteoutFormat: 'overlay', fsOps: { mknod, lsetxattr, createFiles } });
  return { diffId: r.diffId, size: r.size };
}
