import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWwwAuthenticate } from './www-authenticate.js';

test('parseWwwAuthenticate reads a bearer challenge with realm, service, scope and error', () => {
  const c = parseWwwAuthenticate(
    'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:samalba/my-app:pull,push",error="insufficient_scope"',
  );
  assert.deepEqual(c, [
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:samalba/my-app:pull,push',
        error: 'insufficient_scope',
      },
    },
  ]);
});

test('parseWwwAuthenticate reads several challenges, unquoted values, escapes and upper-case names', () => {
  const c = parseWwwAuthenticate(['Basic realm="Registry Realm", Bearer REALM=http://127.0.0.1:1/t , service="a\\"b"', 'Negotiate']);
  assert.equal(c.length, 3);
  assert.deepEqual(c[0], { scheme: 'basic', params: { realm: 'Registry Realm' } });
  assert.deepEqual(c[1], { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/t', service: 'a"b' } });
  assert.deepEqual(c[2], { scheme: 'negotiate', params: {} });
});

test('parseWwwAuthenticate gives nothing for absent or empty headers and stops at garbage', () => {
  assert.deepEqual(parseWwwAuthenticate(undefined), []);
  assert.deepEqual(parseWwwAuthenticate(''), []);
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="x" ; garbage'), [{ scheme: 'bearer', params: { realm: 'x' } }]);
});
