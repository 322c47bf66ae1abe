/**
 * `docker import` and layer blobs come as plain, gzip, bzip2, xz or zstd tar streams. Sniffs the
 * magic bytes (as Docker's archive.DecompressStream does, whatever the media type claims) and
 * returns the uncompressed stream: gzip through node's zlib, zstd through fzstd (Node 20's zlib has
 * none). bzip2 and xz are refused clearly. A corrupt stream fails with InvalidArgumentError.
 */
import { createGunzip } from 'node:zlib';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { Decompress } from 'fzstd';
import { InvalidArgumentError, NotImplementedError, errorMessage } from '../../util/errors.js';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** Reads the first bytes, then replays them: the caller gets one stream of decompressed bytes. */
export async function decompressedStream(input: Readable): Promise<Readable> {
  const head = await readHead(input, 6);
  const kind = detectCompression(head.bytes);
  const replay = new PassThrough();
  replay.write(head.bytes);
  if (head.ended) replay.end();
  else input.pipe(replay);
  input.on('error', (err) => replay.destroy(err));
  switch (kind) {
    case 'none':
      // As below: the consumer sees the error through its reads, even if it starts reading later.
      replay.on('error', () => {});
      return replay;
    case 'gzip':
    case 'zstd': {
      const inflate = decompressor(kind);
      replay.on('error', (err) => inflate.destroy(err));
      // The consumer sees errors through its reads; this only keeps an early one from crashing.
      inflate.on('error', () => {});
      return replay.pipe(inflate);
    }
    default:
      input.destroy();
      throw new NotImplementedError(`${kind} compressed archives are not supported; use an uncompressed or gzip tar`);
  }
}

/**
 * A transform that inflates one compression format. Decoder failures become InvalidArgumentError
 * (`invalid gzip data: …`) so a corrupt layer reads as a bad layer, not an internal error.
 */
export function decompressor(kind: 'none' | 'gzip' | 'zstd'): Transform {
  if (kind === 'none') return new PassThrough();
  if (kind === 'zstd') return new ZstdDecompressStream();
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  return wrapErrors(gunzip, 'gzip');
}

function wrapErrors(t: Transform, what: string): Transform {
  // zlib emits its own errors; re-emit them once, typed, through the same stream.
  const destroy = t.destroy.bind(t);
  t.destroy = ((err?: Error) => {
    const typed = err && !(err instanceof InvalidArgumentError) && (err as NodeJS.ErrnoException).code?.startsWith('Z_')
      ? new InvalidArgumentError(`invalid ${what} data: ${errorMessage(err)}`, { cause: err })
      : err;
    return destroy(typed);
  }) as typeof t.destroy;
  return t;
}

/** Streaming zstd decoding with fzstd; the whole input must form complete frames. */
class ZstdDecompressStream extends Transform {
  private readonly decoder: Decompress;
  private sawInput = false;

  constructor() {
    super({ readableHighWaterMark: 256 * 1024 });
    this.decoder = new Decompress((data) => {
      if (data.length) this.push(Buffer.from(data.buffer, data.byteOffset, data.length));
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sawInput ||= chunk.length > 0;
    try {
      this.decoder.push(chunk);
      cb();
    } catch (err) {
      cb(new InvalidArgumentError(`invalid zstd data: ${errorMessage(err)}`, { cause: err }));
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(new InvalidArgumentError(`invalid zstd data: ${errorMessage(err)}`, { cause: err }));
    }
  }
}

async function readHead(input: Readable, n: number): Promise<{ bytes: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= n) done(false);
    };
    const onEnd = () => done(true);
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
    };
    const done = (ended: boolean) => {
      cleanup();
      input.pause();
      const bytes = Buffer.concat(chunks);
      if (ended && bytes.length === 0) {
        reject(new InvalidArgumentError('empty archive'));
        return;
      }
      resolve({ bytes, ended });
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
  });
}
