import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHostTlsMaterial, systemCaCertificates } from './certs-dir.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-certsd-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

test('loadHostTlsMaterial reads CA files and client pairs of the host:port directory of every dir', async () => {
  const a = tree({ '127.0.0.1:5000/ca.crt': 'CA-A', '127.0.0.1:5000/z.crt': 'CA-Z', '127.0.0.1:5000/client.cert': 'C', '127.0.0.1:5000/client.key': 'K', 'other:1/ca.crt': 'NO' });
  const b = tree({ '127.0.0.1:5000/more.crt': 'CA-B', '127.0.0.1:5000/README': 'ignored' });
  try {
    const m = await loadHostTlsMaterial([a, join(a, 'missing'), b], '127.0.0.1:5000');
    assert.deepEqual(m.ca, ['CA-A', 'CA-Z', 'CA-B']);
    assert.deepEqual(m.clientCerts, [{ cert: 'C', key: 'K' }]);
    assert.equal(m.files.length, 5);
    const none = await loadHostTlsMaterial([a], 'nothing:1');
    assert.deepEqual(none, { ca: [], clientCerts: [], files: [] });
    assert.deepEqual((await loadHostTlsMaterial([a], '../x')).ca, []);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('loadHostTlsMaterial refuses half client pairs with Docker messages', async () => {
  const a = tree({ 'h/client.cert': 'C' });
  const b = tree({ 'h/client.key': 'K' });
  try {
    await assert.rejects(loadHostTlsMaterial([a], 'h'), /missing key client.key for client certificate client.cert. CA certificates must use the extension .crt/);
    await assert.rejects(loadHostTlsMaterial([b], 'h'), /missing client certificate client.cert for key client.key/);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('systemCaCertificates returns PEM certificates', () => {
  const cas = systemCaCertificates();
  assert.ok(cas.length > 0);
  assert.match(cas[0]!, /-----BEGIN CERTIFICATE-----/);
});
