import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertRepositoryName, isRepositoryName, isTag } from './repository-name.js';
import { RegistryError } from './registry-errors.js';

test('repository names follow the spec grammar', () => {
  for (const ok of ['a', 'library/busybox', 'my-org/app.v2/sub__x', 'a--b', '0/1/2']) assert.ok(isRepositoryName(ok), ok);
  for (const bad of ['', 'A', '../etc', 'a/../b', 'a//b', '/a', 'a/', 'a.', '-a', 'a%2fb', 'a b', 'x'.repeat(256)]) {
    assert.equal(isRepositoryName(bad), false, bad);
  }
  assert.throws(() => assertRepositoryName('../x'), (e: unknown) => e instanceof RegistryError && e.code === 'NAME_INVALID' && e.status === 400);
});

test('tags follow the spec grammar', () => {
  for (const ok of ['latest', 'v1.0', '_x', 'A-b.c_d', 'a'.repeat(128)]) assert.ok(isTag(ok), ok);
  for (const bad of ['', '.x', '-x', 'a/b', 'a:b', 'a'.repeat(129)]) assert.equal(isTag(bad), false, bad);
});
