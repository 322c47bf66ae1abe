import test from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../distribution/index.js';
import { maxPageSize, nextLink, paginate, parsePageRequest } from './pagination.js';

const tags = ['1.0', '1.1', '2.0', 'latest', 'v3'];

test('paginate gives everything without n, and n entries after last', () => {
  assert.deepEqual(paginate(tags, {}), { items: tags });
  assert.deepEqual(paginate(tags, { n: 2 }), { items: ['1.0', '1.1'], nextLast: '1.1' });
  assert.deepEqual(paginate(tags, { n: 2, last: '1.1' }), { items: ['2.0', 'latest'], nextLast: 'latest' });
  assert.deepEqual(paginate(tags, { n: 2, last: 'latest' }), { items: ['v3'] });
  assert.deepEqual(paginate(tags, { last: '2.0' }), { items: ['latest', 'v3'] });
  assert.deepEqual(paginate(tags, { n: 5 }), { items: tags });
});

test('paginate: n=0 is an empty page without next; last between or past entries works', () => {
  assert.deepEqual(paginate(tags, { n: 0 }), { items: [] });
  assert.deepEqual(paginate(tags, { n: 10, last: '1.05' }), { items: ['1.1', '2.0', 'latest', 'v3'] });
  assert.deepEqual(paginate(tags, { n: 10, last: 'zzz' }), { items: [] });
  assert.deepEqual(paginate([], { n: 3 }), { items: [] });
});

test('parsePageRequest refuses a non-numeric or too large n', () => {
  assert.deepEqual(parsePageRequest(new URLSearchParams('n=3&last=a')), { n: 3, last: 'a' });
  assert.deepEqual(parsePageRequest(new URLSearchParams('')), {});
  assert.deepEqual(parsePageRequest(new URLSearchParams('last=x')), { last: 'x' });
  for (const bad of ['n=-1', 'n=abc', 'n=1.5', `n=${maxPageSize + 1}`]) {
    assert.throws(() => parsePageRequest(new URLSearchParams(bad)), (e: unknown) => e instanceof RegistryError && e.code === 'PAGINATION_NUMBER_INVALID', bad);
  }
});

test('nextLink is an RFC 5988 next link with the last value escaped', () => {
  assert.equal(nextLink('/v2/a/tags/list', 2, 'x y'), '</v2/a/tags/list?n=2&last=x%20y>; rel="next"');
});
