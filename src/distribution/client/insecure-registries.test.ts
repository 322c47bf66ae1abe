import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InsecureRegistries, splitHostPort } from './insecure-registries.js';

const resolver = async (host: string) => {
  const table: Record<string, string[]> = { 'reg.lan': ['10.1.2.3'], 'v6.lan': ['fd00::5'], localhost: ['::1', '127.0.0.1'] };
  const r = table[host];
  if (!r) throw new Error('ENOTFOUND');
  return r;
};

test('splitHostPort handles names, ports and bracketed IPv6', () => {
  assert.deepEqual(splitHostPort('127.0.0.1:5000'), { host: '127.0.0.1', port: '5000' });
  assert.deepEqual(splitHostPort('[::1]:5000'), { host: '::1', port: '5000' });
  assert.deepEqual(splitHostPort('[::1]'), { host: '::1' });
  assert.deepEqual(splitHostPort('::1'), { host: '::1' });
  assert.deepEqual(splitHostPort('registry'), { host: 'registry' });
});

test('loopback is insecure by default, with or without port, by address or by a name resolving to it', async () => {
  const r = new InsecureRegistries([], true, resolver);
  for (const h of ['127.0.0.1', '127.0.0.1:5000', '127.9.8.7:1', '[::1]:5000', '::1', 'localhost:5000', '[::ffff:127.0.0.1]:80']) {
    assert.equal(await r.isInsecure(h), true, h);
  }
  for (const h of ['10.1.2.3:5000', 'reg.lan', 'docker.io', 'unknown.invalid:443', '128.0.0.1']) assert.equal(await r.isInsecure(h), false, h);
});

test('CIDRs match resolved addresses; names match exactly (with or without port); loopback can be left out', async () => {
  const r = new InsecureRegistries(['10.0.0.0/8', 'fd00::/8', 'myreg:5000', 'http://plain.lan', 'https://other.lan/'], false, resolver);
  assert.equal(await r.isInsecure('reg.lan:5000'), true);
  assert.equal(await r.isInsecure('10.255.0.1'), true);
  assert.equal(await r.isInsecure('v6.lan'), true);
  assert.equal(await r.isInsecure('myreg:5000'), true);
  assert.equal(await r.isInsecure('MyReg:5000'), true);
  assert.equal(await r.isInsecure('myreg:5001'), false);
  assert.equal(await r.isInsecure('plain.lan:8080'), true);
  assert.equal(await r.isInsecure('other.lan'), true);
  assert.equal(await r.isInsecure('127.0.0.1:5000'), false);
  assert.equal(await r.isInsecure('11.0.0.1'), false);
});

test('invalid entries are refused with Docker-like messages', () => {
  assert.throws(() => new InsecureRegistries(['ftp://x']), /ftp:\/\/x should not contain ':\/\/'/);
  assert.throws(() => new InsecureRegistries(['10.0.0.0/33']), /is not valid/);
  assert.throws(() => new InsecureRegistries(['host/path']), /is not valid/);
  assert.throws(() => new InsecureRegistries(['bad host']), /is not valid/);
  assert.throws(() => new InsecureRegistries(['']), /is not valid/);
});
