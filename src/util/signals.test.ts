import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignal } from './signals.js';

test('parseSignal accepts Docker forms', () => {
  assert.deepEqual(parseSignal('SIGTERM'), { name: 'SIGTERM', number: 15 });
  assert.deepEqual(parseSignal('kill'), { name: 'SIGKILL', number: 9 });
  assert.deepEqual(parseSignal('2'), { name: 'SIGINT', number: 2 });
  assert.equal(parseSignal('SIGRTMIN+3').number, 37);
  assert.throws(() => parseSignal('SIGNOPE'), /Invalid signal: SIGNOPE/);
  assert.throws(() => parseSignal('99'), /Invalid signal/);
});
