import test from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../distribution/index.js';
import { parseRoute } from './route.js';

const d = 'sha256:' + 'a'.repeat(64);

test('parseRoute recognises every registry resource, names with slashes included', () => {
  assert.deepEqual(parseRoute('/v2/'), { kind: 'base' });
  assert.deepEqual(parseRoute('/v2'), { kind: 'base' });
  assert.deepEqual(parseRoute('/v2/_catalog'), { kind: 'catalog' });
  assert.deepEqual(parseRoute('/token'), { kind: 'token' });
  assert.deepEqual(parseRoute('/metrics'), { kind: 'metrics' });
  assert.deepEqual(parseRoute('/v2/a/b/c/tags/list'), { kind: 'tags', name: 'a/b/c' });
  assert.deepEqual(parseRoute('/v2/lib/app/manifests/latest'), { kind: 'manifest', name: 'lib/app', reference: 'latest' });
  assert.deepEqual(parseRoute(`/v2/app/manifests/${d}`), { kind: 'manifest', name: 'app', reference: d });
  assert.deepEqual(parseRoute(`/v2/app/manifests/sha256%3A${'a'.repeat(64)}`), { kind: 'manifest', name: 'app', reference: d });
  assert.deepEqual(parseRoute(`/v2/app/blobs/${d}`), { kind: 'blob', name: 'app', digest: d });
  assert.deepEqual(parseRoute('/v2/app/blobs/uploads/'), { kind: 'uploads', name: 'app' });
  assert.deepEqual(parseRoute('/v2/app/blobs/uploads'), { kind: 'uploads', name: 'app' });
  assert.deepEqual(parseRoute('/v2/app/blobs/uploads/0123abcd'), { kind: 'upload', name: 'app', id: '0123abcd' });
  assert.deepEqual(parseRoute(`/v2/app/referrers/${d}`), { kind: 'referrers', name: 'app', digest: d });
  // Resource words inside a name are names, the last ones decide.
  assert.deepEqual(parseRoute('/v2/x/manifests/manifests/v1'), { kind: 'manifest', name: 'x/manifests', reference: 'v1' });
  assert.deepEqual(parseRoute('/v2/blobs/uploads/tags/list'), { kind: 'tags', name: 'blobs/uploads' });
  assert.deepEqual(parseRoute('/v2/app/nothing'), { kind: 'unknown' });
  assert.deepEqual(parseRoute('/etc/passwd'), { kind: 'unknown' });
});

test('parseRoute refuses names outside the grammar: traversal, encoded slashes, upper case, empty parts', () => {
  for (const p of [
    '/v2/../../etc/manifests/latest',
    '/v2/a/../b/manifests/latest',
    '/v2/a%2Fb/manifests/latest',
    '/v2/a%2e%2e/tags/list',
    '/v2/A/tags/list',
    '/v2//x/tags/list',
    '/v2/x//tags/list',
    '/v2/./x/blobs/uploads/',
    '/v2/_x/tags/list',
  ]) {
    assert.throws(() => parseRoute(p), (e: unknown) => e instanceof RegistryError && e.code === 'NAME_INVALID', p);
  }
});
