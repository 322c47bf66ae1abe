/**
 * The registry client against the reference registry over plain HTTP on 127.0.0.1 (insecure by
 * default, as in Docker: https is tried first, then http), without auth.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReference } from '../../src/util/reference.js';
import { UnavailableError } from '../../src/util/errors.js';
import { RegistryClient } from '../../src/distribution/client/index.js';
import { freePort, startReferenceRegistry, type ReferenceRegistry } from '../helpers/reference-registry.js';
import { registryClientSuite } from '../helpers/registry-client-suite.js';

let dir: string;
let registry: ReferenceRegistry;
let client: RegistryClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-regclient-plain-'));
  registry = await startReferenceRegistry({ dir });
  client = new RegistryClient({ chunkSize: 1024 * 1024, certsDirs: [] });
});

after(async () => {
  client?.close();
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

registryClientSuite('plain http', { host: () => registry.host, client: () => client, countRequests: (m, p) => registry.countRequests(m, p) });

test('plain http: login to a registry without auth succeeds without an identity token', async () => {
  assert.deepEqual(await client.login(registry.host, { username: 'u', password: 'p' }), { status: 'Login Succeeded' });
});

test('plain http: a registry that is not there is a clear error naming the host', async () => {
  const port = await freePort();
  const r = new RegistryClient({ certsDirs: [] }).repository(parseReference(`127.0.0.1:${port}/x/y`));
  await assert.rejects(r.getManifest('latest'), (e: Error) => {
    assert.ok(e instanceof UnavailableError);
    assert.equal(e.message, `Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    return true;
  });
});

test('plain http: a non-loopback secure registry is not tried over http', async () => {
  // 127.0.0.1 made secure: https only, and the plain registry does not speak TLS.
  const strict = new RegistryClient({ loopbackInsecure: false, certsDirs: [] });
  await assert.rejects(strict.repository(parseReference(`${registry.host}/x/y`)).getManifest('latest'), (e: Error) => {
    assert.ok(e instanceof UnavailableError);
    assert.equal(e.message, `Get "https://${registry.host}/v2/": http: server gave HTTP response to HTTPS client`);
    return true;
  });
  strict.close();
});
