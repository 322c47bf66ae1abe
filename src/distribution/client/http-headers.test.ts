import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chunkContentRange,
  parseContentRange,
  parseLinkNext,
  parseUploadRange,
  rangeFrom,
  resolveLocation,
  uploadRangeMatches,
  withQuery,
} from './http-headers.js';

test('parseContentRange reads satisfiable ranges and refuses the rest', () => {
  assert.deepEqual(parseContentRange('bytes 100-199/200'), { start: 100, end: 199, total: 200 });
  assert.deepEqual(parseContentRange('bytes 0-0/*'), { start: 0, end: 0 });
  for (const bad of [undefined, '', 'bytes */200', 'bytes 10-5/20', 'bytes 0-200/200', 'items 0-1/2', '0-1/2']) {
    assert.equal(parseContentRange(bad), undefined, String(bad));
  }
});

test('range headers for resume and chunk uploads', () => {
  assert.equal(rangeFrom(1234), 'bytes=1234-');
  assert.equal(chunkContentRange(0, 10), '0-9');
  assert.equal(chunkContentRange(10, 1), '10-10');
  assert.throws(() => chunkContentRange(0, 0), RangeError);
});

test('upload Range progress: the reference registry reports 0-0 for zero and one byte', () => {
  assert.equal(parseUploadRange('0-1023'), 1023);
  assert.equal(parseUploadRange('bytes=0-9'), 9);
  assert.equal(parseUploadRange('5-9'), undefined);
  assert.equal(uploadRangeMatches('0-1023', 1024), true);
  assert.equal(uploadRangeMatches('0-1022', 1024), false);
  assert.equal(uploadRangeMatches('0-0', 0), true);
  assert.equal(uploadRangeMatches('0-0', 1), true);
  assert.equal(uploadRangeMatches(undefined, 99), true);
  assert.equal(uploadRangeMatches('junk', 99), false);
});

test('resolveLocation handles absolute and relative locations and refuses none', () => {
  const req = new URL('http://127.0.0.1:5000/v2/a/blobs/uploads/');
  assert.equal(resolveLocation(req, '/v2/a/blobs/uploads/u1?_state=x', 'upload').href, 'http://127.0.0.1:5000/v2/a/blobs/uploads/u1?_state=x');
  assert.equal(resolveLocation(req, 'https://other:1/up/1', 'upload').href, 'https://other:1/up/1');
  assert.throws(() => resolveLocation(req, undefined, 'the upload'), /registry sent no Location for the upload/);
  assert.throws(() => resolveLocation(req, 'http://[bad', 'x'), /invalid Location/);
  assert.equal(withQuery(new URL('http://h/u?_state=s'), { digest: 'sha256:ab' }).href, 'http://h/u?_state=s&digest=sha256%3Aab');
});

test('parseLinkNext finds rel="next" among Link values', () => {
  const req = new URL('http://127.0.0.1:5000/v2/a/tags/list?n=2');
  assert.equal(parseLinkNext('</v2/a/tags/list?last=b&n=2>; rel="next"', req)?.href, 'http://127.0.0.1:5000/v2/a/tags/list?last=b&n=2');
  assert.equal(parseLinkNext(['<http://x/prev>; rel="prev", <http://x/next>; rel=next'], req)?.href, 'http://x/next');
  assert.equal(parseLinkNext('<http://x/p>; rel="prev"', req), undefined);
  assert.equal(parseLinkNext(undefined, req), undefined);
});
