/**
 * One layer of a pull: the blob's bytes go to the content store and to the unpacker at the same
 * time, so unpacking finishes with the download instead of after it. The blob becomes visible
 * only when BlobWriter.commit has checked its size and digest; the unpacked directory is a
 * prepared snapshot that the caller commits only after the diff id checks out. On any failure
 * the ingest is removed, the source destroyed and the unpacker stopped before this rejects.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { ContentStore, BlobInfo } from '../../content/index.js';
import type { Descriptor } from '../../distribution/index.js';
import type { LayerUnpacker, UnpackedLayer } from '../../images/index.js';

export interface LayerFetch {
  /** The blob's bytes (from the registry, or from the content store when already there). */
  readonly source: Readable;
  readonly desc: Descriptor;
  /** When set, the bytes are also written (verified) into this store. */
  readonly storeInto?: ContentStore;
  readonly dir: string;
  readonly unpack: LayerUnpacker;
  /** Called once all bytes have arrived, before the digest check (Docker's "Verifying Checksum"). */
  readonly onReceived?: () => void;
  /** Called after the blob is committed (Docker's "Download complete"). */
  readonly onStored?: () => void;
  /** Bytes handed to the unpacker so far. */
  readonly onUnpackProgress?: (bytes: number) => void;
}

export interface LayerFetchResult extends UnpackedLayer {
  readonly stored: BlobInfo | null;
}

const feedHighWaterMark = 4 * 1024 * 1024;

export async function fetchAndUnpackLayer(f: LayerFetch): Promise<LayerFetchResult> {
  const feed = new PassThrough({ highWaterMark: feedHighWaterMark });
  // A write after the unpacker gave up errors the stream; the failure is reported through `unpacking`.
  feed.on('error', () => {});
  const unpacking = f.unpack(feed, f.desc.mediaType, f.dir);
  // Observed below; this keeps an early failure from counting as unhandled meanwhile.
  unpacking.catch(() => {});
  const unpackFailed = unpacking.then(
    () => new Promise<never>(() => {}),
    (err: unknown) => Promise.reject(err),
  );
  unpackFailed.catch(() => {});
  const writer = f.storeInto ? await f.storeInto.writer({ digest: f.desc.digest, size: f.desc.size }) : null;
  let fed = 0;
  try {
    for await (const chunk of f.source as AsyncIterable<Buffer>) {
      const written = writer?.write(chunk);
      fed += chunk.length;
      const ok = feed.write(chunk);
      if (written) await Promise.race([written, unpackFailed]);
      if (!ok) await Promise.race([new Promise((r) => feed.once('drain', r)), unpackFailed]);
      f.onUnpackProgress?.(fed);
    }
    f.onReceived?.();
    const stored = writer ? await writer.commit() : null;
    if (stored) f.onStored?.();
    feed.end();
    const unpacked = await unpacking;
    return { ...unpacked, stored };
  } catch (err) {
    f.source.destroy();
    feed.destroy(err instanceof Error ? err : new Error(String(err)));
    await writer?.abort();
    await unpacking.catch(() => {});
    throw err;
  }
}
