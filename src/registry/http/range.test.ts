import test from 'node:test';
import assert from 'node:assert/strict';
import { parseContentRange, parseRange, uploadRangeHeader } from './range.js';

test('parseRange reads single byte ranges and clips them to the blob', () => {
  assert.equal(parseRange(undefined, 10), undefined);
  assert.deepEqual(parseRange('bytes=0-4', 10), { start: 0, end: 4 });
  assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
  assert.deepEqual(parseRange('bytes=2-100', 10), { start: 2, end: 9 });
  assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
  assert.deepEqual(parseRange('BYTES = 1 - 1', 10), { start: 1, end: 1 });
});

test('parseRange answers unsatisfiable when no byte exists, and ignores what it cannot read', () => {
  assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
  assert.equal(parseRange('bytes=10-20', 10), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 10), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-0', 0), 'unsatisfiable');
  assert.equal(parseRange('bytes=5-2', 10), undefined);
  assert.equal(parseRange('bytes=0-1,3-4', 10), undefined);
  assert.equal(parseRange('items=0-1', 10), undefined);
  assert.equal(parseRange('bytes=-', 10), undefined);
});

test('parseContentRange takes the spec form and the older bytes form, and refuses others', () => {
  assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
  assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199 });
  assert.deepEqual(parseContentRange('bytes=100-199/500'), { start: 100, end: 199 });
  for (const bad of ['', '5', '5-', '-5', '9-3', 'a-b', '0-1-2', ' 0 - 1x']) assert.equal(parseContentRange(bad), undefined, bad);
});

test('uploadRangeHeader names the last byte received', () => {
  assert.equal(uploadRangeHeader(0), '0-0');
  assert.equal(uploadRangeHeader(1), '0-0');
  assert.equal(uploadRangeHeader(100), '0-99');
});
