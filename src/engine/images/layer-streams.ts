/**
 * Layer bytes as archives need them: a blob decompressed and hashed while it is unpacked (the
 * hash must equal the layer's diff id), and a layer's uncompressed tar with its size known up
 * front (a tar entry's header comes before its data).
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Digester, type Digest } from '../../util/digest.js';
import { decompressedStream, detectCompression, type Compression } from './decompress.js';

/** A pass-through that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly digester = new Digester();
  private flushed = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.flushed = true;
    cb();
  }

  /** True once every byte of the input went through. */
  get complete(): boolean {
    return this.flushed;
  }

  get bytes(): number {
    return this.digester.size;
  }

  digest(): Digest {
    return this.digester.digest();
  }
}

/** A pass-through that reports how many bytes went by (progress of a layer being loaded). */
export class CountingStream extends Transform {
  private count = 0;

  constructor(private readonly onBytes: (total: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    this.onBytes(this.count);
    cb(null, chunk);
  }
}

/** The compression of a blob, from its first bytes. */
export async function blobCompression(open: () => Readable): Promise<Compression> {
  const s = open();
  try {
    for await (const chunk of s as AsyncIterable<Buffer>) {
      // The first read holds the magic bytes (a file read is never split below 64 KiB).
      return detectCompression(chunk);
    }
    return 'none';
  } finally {
    s.destroy();
  }
}

/** Decompresses `open()` and returns the digest and size of the uncompressed bytes. */
export async function uncompressedDigest(open: () => Readable): Promise<{ digest: Digest; size: number }> {
  const hasher = new HashingStream();
  const raw = open();
  hasher.once('close', () => raw.destroy());
  const plain = await decompressedStream(raw);
  plain.on('error', (err) => hasher.destroy(err));
  for await (const _ of plain.pipe(hasher)) {
    // hashed as it passes
  }
  return { digest: hasher.digest(), size: hasher.bytes };
}
