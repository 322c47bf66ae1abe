import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { demuxStream, FrameDemuxer, type StreamKind } from './stream-demux.js';
import { JsonSplitter } from './json-stream.js';

function frame(stream: number, data: string | Buffer): Buffer {
  const d = typeof data === 'string' ? Buffer.from(data) : data;
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(d.length, 4);
  return Buffer.concat([h, d]);
}

test('FrameDemuxer handles frames split at every byte', () => {
  const all = Buffer.concat([frame(1, 'hello'), frame(2, ''), frame(2, 'oops\n'), frame(0, 'in'), frame(1, Buffer.alloc(70000, 0x61))]);
  const got: Array<[StreamKind, number]> = [];
  const d = new FrameDemuxer((k, data) => got.push([k, data.length]));
  for (let i = 0; i < all.length; i += 7) d.push(all.subarray(i, i + 7));
  assert.deepEqual(got, [
    [1, 5],
    [2, 0],
    [2, 5],
    [0, 2],
    [1, 70000],
  ]);
  assert.equal(d.leftover, 0);
});

test('FrameDemuxer rejects an unknown stream type', () => {
  const d = new FrameDemuxer(() => undefined);
  assert.throws(() => d.push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 0x41])), { message: 'Unrecognized input header: 9' });
});

test('demuxStream routes stdin and stdout frames to stdout, stderr to stderr, and fails on stream 3', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (c: Buffer) => o.push(c));
  err.on('data', (c: Buffer) => e.push(c));
  await demuxStream(Readable.from([Buffer.concat([frame(0, 'a'), frame(1, 'b'), frame(2, 'c')])]), out, err);
  assert.equal(Buffer.concat(o).toString(), 'ab');
  assert.equal(Buffer.concat(e).toString(), 'c');
  await assert.rejects(demuxStream(Readable.from([Buffer.concat([frame(1, 'x'), frame(3, 'daemon broke')])]), out, err), { message: 'daemon broke' });
});

test('JsonSplitter finds values across chunks, with braces inside strings', () => {
  const s = new JsonSplitter();
  assert.deepEqual(s.push('{"a":"}{\\"",'), []);
  assert.deepEqual(s.push('"b":[1,{}]}\r\n{"c"'), ['{"a":"}{\\"","b":[1,{}]}']);
  assert.equal(s.incomplete, true);
  assert.deepEqual(s.push(':2}{"d":3}'), ['{"c":2}', '{"d":3}']);
  assert.equal(s.incomplete, false);
  assert.throws(() => new JsonSplitter().push('oops'), /invalid character/);
});
