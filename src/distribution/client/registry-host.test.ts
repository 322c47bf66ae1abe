import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authConfigKey, normalizeRegistryHost, parseMirror, registryApiHost } from './registry-host.js';

test('normalizeRegistryHost folds Docker Hub aliases and strips scheme and path', () => {
  for (const h of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'Docker.IO']) {
    assert.equal(normalizeRegistryHost(h), 'docker.io', h);
  }
  assert.equal(normalizeRegistryHost('http://127.0.0.1:5000/'), '127.0.0.1:5000');
  assert.equal(normalizeRegistryHost('ghcr.io'), 'ghcr.io');
  assert.throws(() => normalizeRegistryHost('https://'), /invalid registry host/);
});

test('Docker Hub API host and config.json key', () => {
  assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io');
  assert.equal(registryApiHost('localhost:5000'), 'localhost:5000');
  assert.equal(authConfigKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(authConfigKey('localhost:5000'), 'localhost:5000');
});

test('parseMirror accepts http(s) URLs and bare hosts, refuses paths, queries, credentials, other schemes', () => {
  assert.deepEqual(parseMirror('https://mirror.example:5000/'), { scheme: 'https', host: 'mirror.example:5000' });
  assert.deepEqual(parseMirror('http://127.0.0.1:5001'), { scheme: 'http', host: '127.0.0.1:5001' });
  assert.deepEqual(parseMirror('127.0.0.1:5001'), { host: '127.0.0.1:5001' });
  assert.throws(() => parseMirror('ftp://m'), /unsupported scheme "ftp"/);
  assert.throws(() => parseMirror('https://m/sub'), /path not allowed/);
  assert.throws(() => parseMirror('https://m/?q=1'), /query or fragment/);
  assert.throws(() => parseMirror('https://u:p@m'), /username\/password not allowed/);
});
