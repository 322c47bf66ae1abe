import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { InvalidArgumentError, NotImplementedError } from '../../util/errors.js';
import { decompressedStream, detectCompression } from './decompress.js';

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

/** The zstd CLI (Debian zstd, installed for the tests) makes real frames, several of them here. */
function zstd(data: Buffer, args: string[] = []): Buffer {
  return execFileSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 64 * 1024 * 1024 });
}

const payload = Buffer.concat([randomBytes(300_000), Buffer.alloc(700_000, 'a'), randomBytes(50_000)]);

test('plain, gzip and zstd streams come out as the same bytes, split anywhere', async () => {
  assert.deepEqual(await collect(await decompressedStream(chunked(payload, 7777))), payload);
  assert.deepEqual(await collect(await decompressedStream(chunked(gzipSync(payload), 101))), payload);
  const z = zstd(payload);
  assert.equal(detectCompression(z), 'zstd');
  assert.deepEqual(await collect(await decompressedStream(chunked(z, 4096))), payload);
  // Two concatenated frames are one stream, as zstd -d reads them.
  const two = Buffer.concat([zstd(payload.subarray(0, 500_000)), zstd(payload.subarray(500_000), ['--long=27'])]);
  assert.deepEqual(await collect(await decompressedStream(chunked(two, 65536))), payload);
});

test('corrupt or truncated compressed data fails with InvalidArgumentError', async () => {
  const gz = gzipSync(payload);
  await assert.rejects(collect(await decompressedStream(Readable.from([gz.subarray(0, gz.length - 100)]))), InvalidArgumentError);
  const z = zstd(payload);
  // Frame header and first block header garbled (block contents are only checked by the digests).
  const broken = Buffer.from(z);
  broken.fill(0xff, 4, 12);
  await assert.rejects(collect(await decompressedStream(Readable.from([broken]))), (e: unknown) => e instanceof InvalidArgumentError && /zstd/.test((e as Error).message));
  await assert.rejects(collect(await decompressedStream(Readable.from([z.subarray(0, z.length - 50)]))), InvalidArgumentError);
});

test('bzip2 and xz are refused by name; an empty stream is refused', async () => {
  await assert.rejects(decompressedStream(Readable.from([Buffer.from('BZh91AY&SY')])), NotImplementedError);
  await assert.rejects(decompressedStream(Readable.from([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1])])), /xz compressed/);
  await assert.rejects(decompressedStream(Readable.from([])), /empty archive/);
});
