import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressMeter, shortLayerId, type ProgressOutput } from './progress.js';

function recorder(): { out: ProgressOutput; updates: Array<[string, string, number | undefined, number | undefined]> } {
  const updates: Array<[string, string, number | undefined, number | undefined]> = [];
  return { updates, out: { message: () => {}, aux: () => {}, update: (id, action, c, t) => updates.push([id, action, c, t]) } };
}

test('ProgressMeter reports every 1% (or 512kB) at most each 100ms, and always the total', () => {
  let now = 0;
  const r = recorder();
  const m = new ProgressMeter(r.out, 'abc', 'Downloading', 10_000, () => now);
  m.set(50); // below 1% of the total: nothing
  m.set(150);
  now += 10;
  m.set(300); // too soon after the last one
  now += 200;
  m.set(400);
  m.set(10_000); // the total always goes out
  assert.deepEqual(r.updates, [
    ['abc', 'Downloading', 150, 10_000],
    ['abc', 'Downloading', 400, 10_000],
    ['abc', 'Downloading', 10_000, 10_000],
  ]);
  m.finish();
  assert.equal(r.updates.length, 3);
  const big = recorder();
  const m2 = new ProgressMeter(big.out, 'x', 'Pushing', 1e9, () => (now += 1000));
  m2.set(400 * 1024);
  m2.set(600 * 1024);
  m2.finish();
  assert.deepEqual(big.updates.map((u) => u[2]), [600 * 1024, 1e9]);
});

test('shortLayerId keeps 12 hex characters after the algorithm', () => {
  assert.equal(shortLayerId('sha256:0123456789abcdef0123'), '0123456789ab');
});
