import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from './keyed-mutex.js';

test('KeyedMutex runs work for one key in order and other keys in parallel', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const slow = (tag: string, ms: number) => async () => {
    log.push(`${tag}+`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`${tag}-`);
    return tag;
  };
  const results = await Promise.all([m.run('a', slow('a1', 20)), m.run('a', slow('a2', 1)), m.run('b', slow('b1', 5))]);
  assert.deepEqual(results, ['a1', 'a2', 'b1']);
  assert.ok(log.indexOf('a1-') < log.indexOf('a2+'));
  assert.ok(log.indexOf('b1+') < log.indexOf('a1-'));
  await assert.rejects(m.run('a', async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await m.run('a', async () => 'after'), 'after');
});
