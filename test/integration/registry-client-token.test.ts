/**
 * The registry client against the reference registry behind a token issuer the test runs: the
 * registry's `auth: token:` verifies RS256 JWTs signed with a certificate the test made. Alice may
 * pull and push everywhere, bob may only pull `shared/*`, anonymous may pull `public/*`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { parseReference } from '../../src/util/reference.js';
import { UnauthorizedError } from '../../src/util/errors.js';
import { RegistryClient } from '../../src/distribution/client/index.js';
import { startReferenceRegistry, type ReferenceRegistry } from '../helpers/reference-registry.js';
import { registryClientSuite } from '../helpers/registry-client-suite.js';
import { startTokenIssuer, type TokenIssuer } from '../helpers/token-issuer.js';
import { blobOf, makeImage, opener, readAll } from '../helpers/oci-content.js';
import { mediaTypes } from '../../src/distribution/index.js';

let dir: string;
let issuer: TokenIssuer;
let registry: ReferenceRegistry;
let client: RegistryClient;
const alice = { username: 'alice', password: 'alice-secret' };
const bob = { username: 'bob', password: 'bob-secret' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-regclient-token-'));
  mkdirSync(join(dir, 'issuer'));
  issuer = await startTokenIssuer({
    dir: join(dir, 'issuer'),
    service: 'berth-test-registry',
    issuer: 'berth-test-issuer',
    users: { alice: alice.password, bob: bob.password },
    grant: (account, type, name) => {
      if (type !== 'repository') return [];
      if (account === 'alice') return ['pull', 'push'];
      if (account === 'bob' && name.startsWith('shared/')) return ['pull'];
      if (name.startsWith('public/')) return ['pull'];
      return [];
    },
  });
  registry = await startReferenceRegistry({
    dir: join(dir, 'reg'),
    token: { realm: issuer.realm, service: 'berth-test-registry', issuer: 'berth-test-issuer', rootCertBundle: issuer.signer.certPath },
  });
  client = new RegistryClient({ chunkSize: 1024 * 1024, certsDirs: [] });
});

after(async () => {
  client?.close();
  await registry?.stop();
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

registryClientSuite('token auth', { host: () => registry.host, client: () => client, creds: alice, countRequests: (m, p) => registry.countRequests(m, p) });

async function pushImage(path: string, tag: string) {
  const img = makeImage([4096, 100]);
  const r = client.repository(parseReference(`${registry.host}/${path}`), alice);
  for (const b of [...img.layers, img.config]) await r.pushBlob(b.desc, opener(b.bytes).open);
  await r.putManifest(tag, img.manifest, img.manifestType);
  return img;
}

test('token auth: parallel fetches and pushes on one repository share one token request per scope', async () => {
  const img = await pushImage('shared/app', 'v1');
  const fresh = new RegistryClient({ certsDirs: [] });
  try {
    const r = fresh.repository(parseReference(`${registry.host}/shared/app`), alice);
    const blobs = [...img.layers, img.config, ...img.layers, img.config, ...img.layers, img.config];
    const got = await Promise.all(blobs.map((b) => readAll(r.fetchBlob(b.desc))));
    got.forEach((g, i) => assert.ok(g.equals(blobs[i]!.bytes)));
    assert.equal(fresh.tokenFetches, 1, 'nine parallel downloads, one token');
    await r.getManifest('v1');
    assert.equal(fresh.tokenFetches, 1, 'the cached token serves the manifest too');

    const up = Array.from({ length: 6 }, (_, i) => blobOf(Buffer.from(`token-shared ${i}`.repeat(1000)), mediaTypes.ociLayerGzip));
    assert.deepEqual(await Promise.all(up.map((b) => r.pushBlob(b.desc, opener(b.bytes).open))), up.map(() => 'uploaded'));
    assert.equal(fresh.tokenFetches, 2, 'one more token, for pull,push');
  } finally {
    fresh.close();
  }
});

test('token auth: anonymous pulls what anonymous may, and is refused elsewhere', async () => {
  const img = await pushImage('public/hello', 'latest');
  const anon = client.repository(parseReference(`${registry.host}/public/hello`));
  const m = await anon.getManifest('latest');
  assert.ok(m.bytes.equals(img.manifest));
  assert.ok((await readAll(anon.fetchBlob(img.layers[0]!.desc))).equals(img.layers[0]!.bytes));
  const anonRequests = issuer.requests.filter((q) => q.account === undefined && q.scopes.includes('repository:public/hello:pull'));
  assert.ok(anonRequests.length >= 1 && anonRequests.every((q) => q.method === 'GET'));

  await pushImage('private/app', 'v1');
  await assert.rejects(client.repository(parseReference(`${registry.host}/private/app`)).getManifest('v1'), (e: Error) => {
    assert.ok(e instanceof UnauthorizedError, `${e.name}: ${e.message}`);
    assert.equal(e.message, 'unauthorized: authentication required');
    return true;
  });
});

test('token auth: a pull-only user cannot push (the retry with the challenge scope is refused too)', async () => {
  const blob = blobOf(Buffer.from('bob was here'), mediaTypes.ociLayerGzip);
  const before = issuer.requests.length;
  await assert.rejects(client.repository(parseReference(`${registry.host}/shared/app`), bob).pushBlob(blob.desc, opener(blob.bytes).open), (e: Error) => {
    assert.ok(e instanceof UnauthorizedError, `${e.name}: ${e.message}`);
    return true;
  });
  const asked = issuer.requests.slice(before).filter((q) => q.account === 'bob');
  assert.ok(asked.length >= 2, 're-authenticated once after the 401');
  assert.ok(asked.every((q) => q.scopes.includes('repository:shared/app:pull,push')));
});

test('token auth: login gives an identity token that works with an OAuth2 refresh grant; bad passwords are refused', async () => {
  const res = await client.login(registry.host, alice);
  assert.equal(res.status, 'Login Succeeded');
  assert.ok(res.identityToken && issuer.refreshTokens.get(res.identityToken) === 'alice', 'a refresh token from the issuer');
  const loginRequest = issuer.requests.findLast((q) => q.account === 'alice' && q.offline);
  assert.ok(loginRequest, 'login asked for offline_token=true');

  const again = await client.login(registry.host, { identityToken: res.identityToken });
  assert.equal(again.status, 'Login Succeeded');
  assert.equal(issuer.requests.at(-1)?.grantType, 'refresh_token');

  await pushImage('shared/byidentity', 'v1');
  const viaIdentity = new RegistryClient({ certsDirs: [] });
  try {
    const m = await viaIdentity.repository(parseReference(`${registry.host}/shared/byidentity`), { identityToken: res.identityToken! }).getManifest('v1');
    assert.equal(m.parsed.kind, 'image');
    assert.equal(issuer.requests.at(-1)?.method, 'POST');
  } finally {
    viaIdentity.close();
  }

  await assert.rejects(client.login(registry.host, { username: 'alice', password: 'wrong' }), (e: Error) => {
    assert.ok(e instanceof UnauthorizedError);
    assert.equal(e.message, `Get "http://${registry.host}/v2/": unauthorized: incorrect username or password`);
    return true;
  });
  await assert.rejects(client.repository(parseReference(`${registry.host}/shared/app`), { username: 'alice', password: 'wrong' }).getManifest('v1'), (e: Error) => {
    assert.ok(e instanceof UnauthorizedError);
    assert.equal(e.message, 'unauthorized: incorrect username or password');
    return true;
  });
});

test('token auth: a registry token is sent as the bearer token without any token request', async () => {
  await pushImage('shared/regtoken', 'v1');
  // A token the way a credential helper would hand one over: fetched out of band.
  const token = await new Promise<string>((resolve, reject) => {
    const u = new URL(issuer.realm);
    u.searchParams.set('service', 'berth-test-registry');
    u.searchParams.set('scope', 'repository:shared/regtoken:pull');
    const req = request(u, { headers: { Authorization: 'Basic ' + Buffer.from('alice:alice-secret').toString('base64') } }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve(JSON.parse(t).token));
    });
    req.on('error', reject);
    req.end();
  });
  const before = issuer.requests.length;
  const fresh = new RegistryClient({ certsDirs: [] });
  try {
    const m = await fresh.repository(parseReference(`${registry.host}/shared/regtoken`), { registryToken: token }).getManifest('v1');
    assert.equal(m.parsed.kind, 'image');
    assert.equal(issuer.requests.length, before);
    assert.equal(fresh.tokenFetches, 0);
    assert.deepEqual(await fresh.login(registry.host, { registryToken: token }), { status: 'Login Succeeded' });
  } finally {
    fresh.close();
  }
});
