import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsOf, registryHost, toAuthConfig } from './auth-config.js';

test('credentialsOf takes username/password, the base64 auth field, or tokens', () => {
  assert.deepEqual(credentialsOf({ username: 'u', password: 'p' }), { username: 'u', password: 'p' });
  assert.deepEqual(credentialsOf({ auth: Buffer.from('me:se:cret').toString('base64') }), { username: 'me', password: 'se:cret' });
  assert.deepEqual(credentialsOf({ identitytoken: 'tok' }), { identityToken: 'tok' });
  assert.deepEqual(credentialsOf({ registrytoken: 'bearer' }), { registryToken: 'bearer' });
  assert.equal(credentialsOf({}), undefined);
  assert.equal(credentialsOf({ email: 'x@y', serveraddress: 'h' }), undefined);
  assert.throws(() => credentialsOf({ auth: Buffer.from('nocolon').toString('base64') }), /not base64 of user:password/);
});

test('toAuthConfig reads Go-style keys and refuses non-strings', () => {
  assert.deepEqual(toAuthConfig({ Username: 'u', password: 'p', other: 1 }), { username: 'u', password: 'p' });
  assert.deepEqual(toAuthConfig(null), {});
  assert.throws(() => toAuthConfig({ username: 5 }), /username must be a string/);
  assert.throws(() => toAuthConfig([]), /JSON object/);
});

test('registryHost normalizes server addresses as Docker does', () => {
  assert.equal(registryHost(''), 'docker.io');
  assert.equal(registryHost('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(registryHost('localhost:5000'), 'localhost:5000');
  assert.equal(registryHost('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(registryHost('registry.example.com'), 'registry.example.com');
  assert.throws(() => registryHost('https://'), /unable to parse server address/);
});
