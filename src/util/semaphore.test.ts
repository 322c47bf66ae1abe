import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from './semaphore.js';

test('Semaphore lets capacity holders in and queues the rest in order', async () => {
  const s = new Semaphore(2);
  assert.equal(s.tryAcquire(), true);
  assert.equal(s.tryAcquire(), true);
  assert.equal(s.tryAcquire(), false);
  const order: number[] = [];
  const a = s.acquire().then(() => order.push(1));
  const b = s.acquire().then(() => order.push(2));
  s.release();
  await a;
  assert.deepEqual(order, [1]);
  s.release();
  await b;
  assert.deepEqual(order, [1, 2]);
  s.release();
  s.release();
  s.release(); // never above capacity
  assert.equal(s.tryAcquire(), true);
  assert.equal(s.tryAcquire(), true);
  assert.equal(s.tryAcquire(), false);
  assert.throws(() => new Semaphore(0), RangeError);
});
