/**
 * The registry client against the reference registry with htpasswd (bcrypt) basic auth over TLS.
 * The registry's certificate comes from a CA the test makes; the client trusts it only through a
 * certs.d directory (loopback is made secure for this, so the certificate is really verified).
 * A second registry requires client certificates, which the client takes from certs.d too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReference } from '../../src/util/reference.js';
import { UnauthorizedError, UnavailableError } from '../../src/util/errors.js';
import { RegistryClient } from '../../src/distribution/client/index.js';
import { startReferenceRegistry, type ReferenceRegistry } from '../helpers/reference-registry.js';
import { registryClientSuite } from '../helpers/registry-client-suite.js';
import { makeCa, makeServerCert, type CertPair } from '../helpers/test-pki.js';
import { makeImage, opener } from '../helpers/oci-content.js';

let dir: string;
let certsDir: string;
let ca: CertPair;
let registry: ReferenceRegistry;
let mtlsRegistry: ReferenceRegistry;
let client: RegistryClient;
const creds = { username: 'alice', password: 'wonder land:1' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-regclient-tls-'));
  const pki = join(dir, 'pki');
  mkdirSync(pki);
  ca = makeCa(pki);
  const server = makeServerCert(pki, ca);
  const clientCert = makeServerCert(pki, ca, 'client', { dns: ['berth-client'] });
  registry = await startReferenceRegistry({ dir: join(dir, 'reg'), tls: { certPath: server.certPath, keyPath: server.keyPath }, htpasswd: { alice: creds.password, bob: 'builder' } });
  mtlsRegistry = await startReferenceRegistry({ dir: join(dir, 'mtls'), tls: { certPath: server.certPath, keyPath: server.keyPath, clientCas: [ca.certPath] } });
  certsDir = join(dir, 'certs.d');
  for (const host of [registry.host, mtlsRegistry.host]) {
    mkdirSync(join(certsDir, host), { recursive: true });
    copyFileSync(ca.certPath, join(certsDir, host, 'ca.crt'));
  }
  copyFileSync(clientCert.certPath, join(certsDir, mtlsRegistry.host, 'client.cert'));
  copyFileSync(clientCert.keyPath, join(certsDir, mtlsRegistry.host, 'client.key'));
  client = new RegistryClient({ chunkSize: 1024 * 1024, certsDirs: [certsDir], loopbackInsecure: false });
});

after(async () => {
  client?.close();
  await registry?.stop();
  await mtlsRegistry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

registryClientSuite('htpasswd over TLS', { host: () => registry.host, client: () => client, creds, countRequests: (m, p) => registry.countRequests(m, p) });

test('htpasswd over TLS: login checks the password with Docker messages', async () => {
  assert.deepEqual(await client.login(registry.host, creds), { status: 'Login Succeeded' });
  assert.deepEqual(await client.login(`https://${registry.host}/`, { username: 'bob', password: 'builder' }), { status: 'Login Succeeded' });
  await assert.rejects(client.login(registry.host, { username: 'alice', password: 'wrong' }), (e: Error) => {
    assert.ok(e instanceof UnauthorizedError);
    assert.equal(e.message, `login attempt to https://${registry.host}/v2/ failed with status: 401 Unauthorized`);
    return true;
  });
  await assert.rejects(client.login(registry.host, {}), /login needs a username and password/);
});

test('htpasswd over TLS: no or wrong credentials are refused as unauthorized', async () => {
  const anon = client.repository(parseReference(`${registry.host}/suite/app`));
  await assert.rejects(anon.getManifest('v1'), (e: Error) => {
    assert.ok(e instanceof UnauthorizedError);
    assert.equal(e.message, `Get "https://${registry.host}/v2/suite/app/manifests/v1": no basic auth credentials`);
    return true;
  });
  const wrong = client.repository(parseReference(`${registry.host}/suite/app`), { username: 'alice', password: 'nope' });
  await assert.rejects(wrong.listTags(), (e: Error) => {
    assert.ok(e instanceof UnauthorizedError);
    assert.match(e.message, /^unauthorized: /);
    return true;
  });
});

test('htpasswd over TLS: credentials from the callback, keyed by the registry host', async () => {
  const asked: string[] = [];
  const viaCallback = new RegistryClient({
    certsDirs: [certsDir],
    loopbackInsecure: false,
    credentials: (host) => {
      asked.push(host);
      return host === registry.host ? creds : undefined;
    },
  });
  try {
    const img = makeImage([100]);
    const r = viaCallback.repository(parseReference(`${registry.host}/cb/app`));
    for (const b of [...img.layers, img.config]) assert.equal(await r.pushBlob(b.desc, opener(b.bytes).open), 'uploaded');
    await r.putManifest('x', img.manifest, img.manifestType);
    assert.deepEqual(await r.listTags(), ['x']);
    assert.deepEqual([...new Set(asked)], [registry.host]);
    assert.equal(asked.length, 1, 'the callback is asked once per repository handle');
  } finally {
    viaCallback.close();
  }
});

test('htpasswd over TLS: without the CA the certificate is refused; an insecure registry skips verification', async () => {
  const noCa = new RegistryClient({ certsDirs: [], loopbackInsecure: false });
  await assert.rejects(noCa.repository(parseReference(`${registry.host}/suite/app`), creds).getManifest('v1'), (e: Error) => {
    assert.ok(e instanceof UnavailableError);
    assert.equal(e.message, `Get "https://${registry.host}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`);
    return true;
  });
  noCa.close();
  for (const insecure of [new RegistryClient({ certsDirs: [] }), new RegistryClient({ certsDirs: [], loopbackInsecure: false, insecureRegistries: [registry.host] })]) {
    const tags = await insecure.repository(parseReference(`${registry.host}/suite/tags`), creds).listTags();
    assert.ok(tags.includes('a'));
    insecure.close();
  }
});

test('TLS with client certificates: the pair from certs.d is presented; without it the handshake fails', async () => {
  const img = makeImage([1234]);
  const r = client.repository(parseReference(`${mtlsRegistry.host}/mtls/app`));
  for (const b of [...img.layers, img.config]) assert.equal(await r.pushBlob(b.desc, opener(b.bytes).open), 'uploaded');
  assert.equal(await r.putManifest('v1', img.manifest, img.manifestType), img.manifestDesc.digest);

  const caOnly = join(dir, 'certs.d-ca-only');
  mkdirSync(join(caOnly, mtlsRegistry.host), { recursive: true });
  copyFileSync(ca.certPath, join(caOnly, mtlsRegistry.host, 'ca.crt'));
  const noClientCert = new RegistryClient({ certsDirs: [caOnly], loopbackInsecure: false });
  await assert.rejects(noClientCert.repository(parseReference(`${mtlsRegistry.host}/mtls/app`)).getManifest('v1'), (e: Error) => {
    assert.ok(e instanceof UnavailableError, e.message);
    assert.match(e.message, new RegExp(`^Get "https://${mtlsRegistry.host.replace(/\./g, '\\.')}/v2/": `));
    return true;
  });
  noClientCert.close();
});
