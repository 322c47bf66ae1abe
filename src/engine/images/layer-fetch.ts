/**
 * One layer of a pull: the blob's bytes go to the content store, and the unpacker reads them back
 * from the ingest file as it grows (IngestTail), so unpacking runs alongside the download — and a
 * slow unpack (thousands of small files) does not slow the download, which ends, verifies and
 * frees its transfer slot as soon as the registry has sent everything.
 *
 * The blob becomes visible only when BlobWriter.commit has checked its size and digest; the
 * unpacked directory is a prepared snapshot that the caller commits only after the diff id checks
 * out. On any failure the ingest is removed, the source destroyed and the unpacker stopped
 * before this rejects.
 */
import type { Readable } from 'node:stream';
import type { ContentStore, BlobInfo } from '../../content/index.js';
import type { Descriptor } from '../../distribution/index.js';
import type { LayerUnpacker, UnpackedLayer } from '../../images/index.js';
import { IngestTail } from './ingest-tail.js';

export interface LayerFetch {
  /** The blob's bytes (from the registry, or from the content store when already there). */
  readonly source: Readable;
  readonly desc: Descriptor;
  /** When set, the bytes are written (verified) into this store and unpacked from there. */
  readonly storeInto?: ContentStore;
  readonly dir: string;
  readonly unpack: LayerUnpacker;
  /** Called once all bytes have arrived, before the digest check (Docker's "Verifying Checksum"). */
  readonly onReceived?: () => void;
  /** Called after the blob is committed (Docker's "Download complete"); the transfer is over. */
  readonly onStored?: () => void;
  /** How long the verified commit (fsync, rename) of the blob took. */
  readonly onCommitMs?: (ms: number) => void;
  /** Bytes handed to the unpacker so far. */
  readonly onUnpackProgress?: (bytes: number) => void;
}

export interface LayerFetchResult extends UnpackedLayer {
  readonly stored: BlobInfo | null;
}

export async function fetchAndUnpackLayer(f: LayerFetch): Promise<LayerFetchResult> {
  if (!f.storeInto) {
    // The blob is local already: unpack straight from it.
    let n = 0;
    f.source.on('data', (c: Buffer) => f.onUnpackProgress?.((n += c.length)));
    const unpacked = await f.unpack(f.source, f.desc.mediaType, f.dir);
    return { ...unpacked, stored: null };
  }
  const writer = await f.storeInto.writer({ digest: f.desc.digest, size: f.desc.size });
  let tail: IngestTail;
  try {
    tail = await IngestTail.open(writer.ingestPath);
  } catch (err) {
    await writer.abort();
    f.source.destroy();
    throw err;
  }
  // A read after the unpacker gave up errors the stream; the failure is reported through `unpacking`.
  tail.on('error', () => {});
  let fed = 0;
  tail.on('data', (c: Buffer) => f.onUnpackProgress?.((fed += c.length)));
  const unpacking = f.unpack(tail, f.desc.mediaType, f.dir);
  // Observed below; this keeps an early failure from counting as unhandled meanwhile.
  unpacking.catch(() => {});
  const unpackFailed = unpacking.then(
    () => new Promise<never>(() => {}),
    (err: unknown) => Promise.reject(err),
  );
  unpackFailed.catch(() => {});
  let written = 0;
  try {
    for await (const chunk of f.source as AsyncIterable<Buffer>) {
      await Promise.race([writer.write(chunk), unpackFailed]);
      written += chunk.length;
      tail.grew(written);
    }
    f.onReceived?.();
    const committing = Date.now();
    // Not raced against the unpacker: once started, a commit runs to its end before any cleanup.
    const stored = await writer.commit();
    f.onCommitMs?.(Date.now() - committing);
    tail.end();
    f.onStored?.();
    const unpacked = await unpacking;
    return { ...unpacked, stored };
  } catch (err) {
    f.source.destroy();
    tail.fail(err instanceof Error ? err : new Error(String(err)));
    await writer.abort();
    await unpacking.catch(() => {});
    throw err;
  }
}
