import test from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest } from '../../util/digest.js';
import { BlobGuard } from './blob-guard.js';

const a = sha256Digest('a');
const b = sha256Digest('b');

test('a leased digest is protected, and a released one stays protected within the grace period', async () => {
  let now = 1000;
  const g = new BlobGuard(() => now);
  const release = await g.acquire([a]);
  assert.equal(g.isProtected(a, 5000), true);
  assert.equal(g.isProtected(b, 0), false);
  release();
  assert.equal(g.isProtected(a, 1000), true, 'used at 1000, cutoff 1000');
  assert.equal(g.isProtected(a, 1001), false);
  now = 2000;
  void g.touch(b);
  assert.equal(g.isProtected(b, 1500), true);
});

test('during a collection, digests leased or released are pinned until it ends', async () => {
  let now = 0;
  const g = new BlobGuard(() => now);
  g.beginCollection();
  (await g.acquire([a]))();
  now = 100;
  assert.equal(g.isProtected(a, 50), true, 'pinned even though older than the cutoff');
  g.endCollection(50);
  assert.equal(g.isProtected(a, 50), false);
});

test('deleteUnlessProtected skips protected digests, and a lease taken during a deletion waits for it', async () => {
  const g = new BlobGuard(() => 0);
  const release = await g.acquire([a]);
  let ran = false;
  assert.equal(await g.deleteUnlessProtected(a, 10, async () => void (ran = true)), false);
  assert.equal(ran, false);
  release();

  const order: string[] = [];
  let finish!: () => void;
  const deleting = g.deleteUnlessProtected(b, 10, () => new Promise<void>((r) => (finish = () => (order.push('deleted'), r()))));
  const leased = g.acquire([b]).then((rel) => (order.push('leased'), rel()));
  const touched = g.touch(b);
  assert.ok(touched, 'touch returns the deletion in progress');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, []);
  finish();
  assert.equal(await deleting, true);
  await leased;
  assert.deepEqual(order, ['deleted', 'leased']);
});
