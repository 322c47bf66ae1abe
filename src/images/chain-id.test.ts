import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainIds } from './chain-id.js';
import { sha256Digest } from '../util/digest.js';

test('chainIds: the first is the diff id, each next hashes "parent diff"', () => {
  const a = sha256Digest('a');
  const b = sha256Digest('b');
  const c = sha256Digest('c');
  const ids = chainIds([a, b, c]);
  assert.equal(ids[0], a);
  assert.equal(ids[1], sha256Digest(`${a} ${b}`));
  assert.equal(ids[2], sha256Digest(`${ids[1]} ${c}`));
  assert.deepEqual(chainIds([]), []);
});
