import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { AdaptiveGzip } from './adaptive-gzip.js';

async function compress(data: Buffer, level = 1): Promise<{ out: Buffer; stored: number }> {
  const gz = new AdaptiveGzip(level);
  const chunks: Buffer[] = [];
  const parts = [];
  for (let i = 0; i < data.length; i += 50_000) parts.push(data.subarray(i, i + 50_000));
  const done = (async () => {
    for await (const c of Readable.from(parts).pipe(gz)) chunks.push(c as Buffer);
  })();
  await done;
  return { out: Buffer.concat(chunks), stored: gz.storedBlocks };
}

test('random blocks are stored, text blocks compressed, in one stream gunzip and gzip -t read', async () => {
  const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(60_000));
  const data = Buffer.concat([randomBytes(3 * 1024 * 1024), text, randomBytes(100_000)]);
  const { out, stored } = await compress(data);
  assert.deepEqual(gunzipSync(out), data);
  execFileSync('gzip', ['-t'], { input: out });
  assert.ok(stored >= 3, `stored ${stored}`);
  // Random data costs a few bytes per block; the text shrinks to almost nothing.
  assert.ok(out.length < 3 * 1024 * 1024 + 100_000 + 200_000, `size ${out.length}`);
  assert.ok(out.length > 3 * 1024 * 1024, `size ${out.length}`);
});

test('the same input gives the same bytes; empty and tiny inputs work', async () => {
  const data = Buffer.concat([randomBytes(1_500_000), Buffer.alloc(1_500_000, 'z')]);
  const a = await compress(data);
  const b = await compress(data);
  assert.deepEqual(a.out, b.out);
  assert.deepEqual(gunzipSync((await compress(Buffer.alloc(0))).out), Buffer.alloc(0));
  assert.deepEqual(gunzipSync((await compress(Buffer.from('x'))).out), Buffer.from('x'));
});
