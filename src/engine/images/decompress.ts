/**
 * `docker import` and layer blobs accept plain, gzip, bzip2, xz or zstd tar streams. Sniffs the
 * magic bytes and returns the uncompressed stream; formats Node cannot decode are refused clearly.
 */
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import { InvalidArgumentError, NotImplementedError } from '../../util/errors.js';

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
      return replay;
    case 'gzip': {
      const gunzip = createGunzip();
      replay.on('error', (err) => gunzip.destroy(err));
      gunzip.on('error', () => {});
      return replay.pipe(gunzip).on('error', () => {}) as Readable;
    }
    default:
      input.destroy();
      throw new NotImplementedError(`${kind} compressed archives are not supported; use an uncompressed or gzip tar`);
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
