import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference, formatReference, familiarString, withDefaultTag } from './reference.js';
import { InvalidArgumentError } from './errors.js';

const d = 'sha256:' + 'a'.repeat(64);

test('parseReference normalizes Docker Hub short names', () => {
  assert.equal(formatReference(withDefaultTag(parseReference('busybox'))), 'docker.io/library/busybox:latest');
  assert.equal(formatReference(parseReference('user/app:1.0')), 'docker.io/user/app:1.0');
  assert.equal(formatReference(parseReference('index.docker.io/library/busybox:1')), 'docker.io/library/busybox:1');
});

test('parseReference keeps registries with ports, localhost and digests', () => {
  assert.deepEqual(parseReference('localhost:5000/ns/app:v1'), { domain: 'localhost:5000', path: 'ns/app', tag: 'v1' });
  assert.deepEqual(parseReference('localhost/app'), { domain: 'localhost', path: 'app' });
  assert.deepEqual(parseReference(`app@${d}`), { domain: 'docker.io', path: 'library/app', digest: d });
  assert.deepEqual(parseReference(`app:1@${d}`), { domain: 'docker.io', path: 'library/app', tag: '1', digest: d });
  assert.deepEqual(parseReference('[::1]:5000/app'), { domain: '[::1]:5000', path: 'app' });
  assert.equal(withDefaultTag(parseReference(`app@${d}`)).tag, undefined);
});

test('familiarString hides docker.io and library/', () => {
  assert.equal(familiarString(withDefaultTag(parseReference('busybox'))), 'busybox:latest');
  assert.equal(familiarString(parseReference('user/app:2')), 'user/app:2');
  assert.equal(familiarString(parseReference('example.com/app:2')), 'example.com/app:2');
});

test('parseReference rejects invalid references', () => {
  for (const bad of ['', 'Busybox', 'app:', 'app:-x', ':tag', 'a//b', 'app@sha256:123', 'ns/App', '-app', 'app_', 'a'.repeat(300)]) {
    assert.throws(() => parseReference(bad), InvalidArgumentError, bad);
  }
  assert.throws(() => parseReference('Busybox'), /must be lowercase/);
});

test('parseReference covers the forms docker pull and push accept', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['library/nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['127.0.0.1:5000/ns/name:tag', '127.0.0.1:5000/ns/name:tag'],
    ['registry.example.com/a/b/c', 'registry.example.com/a/b/c:latest'],
    [`localhost:5000/app@${d}`, `localhost:5000/app@${d}`],
    [`nginx:1.25@${d}`, `docker.io/library/nginx:1.25@${d}`],
    ['Registry.Example.com/app', 'Registry.Example.com/app:latest'],
  ];
  for (const [input, want] of cases) assert.equal(formatReference(withDefaultTag(parseReference(input))), want, input);
  assert.equal(familiarString(parseReference(`nginx:1.25@${d}`)), `nginx:1.25@${d}`);
});

test('parseReference refuses ids, bad digests, bad ports and upper-case paths with Docker-like messages', () => {
  assert.throws(() => parseReference('a'.repeat(64)), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => parseReference('nginx@sha256:abc'), /invalid reference format/);
  assert.throws(() => parseReference('nginx@md5:' + 'a'.repeat(32)), /invalid reference format/);
  assert.throws(() => parseReference('host:port/app'), /invalid reference format/);
  assert.throws(() => parseReference('localhost:5000/App'), /must be lowercase/);
  assert.throws(() => parseReference('nginx:tag:more'), /invalid reference format/);
  assert.throws(() => parseReference('nginx:' + 'x'.repeat(129)), /invalid reference format/);
});
