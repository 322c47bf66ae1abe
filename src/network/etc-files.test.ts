import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostsFile, resolvConfFor, hostnameFile } from './etc-files.js';

test('hostsFile has the loopback names and extra hosts', () => {
  const text = hostsFile({ extraHosts: ['db:10.0.0.2'] });
  assert.match(text, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(text, /10\.0\.0\.2\tdb\n$/);
  assert.equal(hostnameFile('abc'), 'abc\n');
});

test('resolvConfFor drops loopback nameservers and falls back to public ones', () => {
  assert.equal(resolvConfFor('nameserver 127.0.0.53\nsearch lan\noptions edns0\n'), 'search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0\n');
  assert.equal(resolvConfFor('# c\nnameserver 10.1.1.1\n'), 'nameserver 10.1.1.1\n');
  assert.equal(resolvConfFor('nameserver 10.1.1.1\n', { dns: ['1.1.1.1'], dnsSearch: ['x'] }), 'search x\nnameserver 1.1.1.1\n');
});
