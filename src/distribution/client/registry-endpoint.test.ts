/**
 * Authentication and connection behaviour of one endpoint against a scripted registry and token
 * server (node http on 127.0.0.1): re-authentication on a 401 with a new challenge (insufficient
 * scope, revoked token), challenges that appear only after the ping, the token cache's expiry,
 * and keep-alive reuse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReference } from '../../util/reference.js';
import { Logger } from '../../util/log.js';
import { UnauthorizedError } from '../../util/errors.js';
import { startFakeRegistry, type FakeRegistry } from '../../../test/helpers/fake-registry.js';
import { makeImage } from '../../../test/helpers/oci-content.js';
import { RegistryClient } from './registry-client.js';
import { HttpTransport } from './http-transport.js';
import { InsecureRegistries } from './insecure-registries.js';
import { TokenService } from './token-service.js';

const img = makeImage([10]);

interface Script {
  /** Scopes a token must hold for this path, or undefined for no auth. */
  needs?: (url: string) => string[] | undefined;
  revoked?: Set<string>;
  tokenLifetime?: number;
}

/** A registry whose bearer tokens are `tok-<n>:<scopes>`, issued by its own /token. */
async function tokenRegistry(script: Script) {
  let issued = 0;
  const tokenRequests: string[][] = [];
  let fake: FakeRegistry;
  const challenge = (scopes: string[], error?: string) =>
    `Bearer realm="http://${fake.host}/token",service="fake",scope="${scopes.join(' ')}"${error ? `,error="${error}"` : ''}`;
  fake = await startFakeRegistry((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope');
      tokenRequests.push(scopes);
      const token = `tok-${++issued}:${scopes.join(' ')}`;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, expires_in: script.tokenLifetime ?? 300 }));
      return true;
    }
    if (url.pathname === '/v2/') {
      res.writeHead(401, { 'WWW-Authenticate': challenge([]), 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return true;
    }
    const needed = script.needs?.(url.pathname) ?? [];
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const held = token.split(':').slice(1).join(':').split(' ');
    if (!token || script.revoked?.has(token) || needed.some((s) => !held.includes(s))) {
      res.writeHead(401, { 'WWW-Authenticate': challenge(needed, token ? 'insufficient_scope' : undefined), 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return true;
    }
    if (url.pathname.includes('/manifests/')) {
      res.writeHead(200, { 'Content-Type': img.manifestType }).end(img.manifest);
      return true;
    }
    return false;
  });
  return { fake, tokenRequests, lastToken: () => `tok-${issued}` };
}

test('a 401 with insufficient_scope re-authenticates once with the challenge scope merged in', async () => {
  const { fake, tokenRequests } = await tokenRegistry({ needs: () => ['repository:a/b:pull', 'repository:shared/base:pull'] });
  const client = new RegistryClient({ certsDirs: [] });
  try {
    const m = await client.repository(parseReference(`${fake.host}/a/b`)).getManifest('latest');
    assert.ok(m.bytes.equals(img.manifest));
    assert.deepEqual(tokenRequests, [['repository:a/b:pull'], ['repository:a/b:pull', 'repository:shared/base:pull']]);
  } finally {
    client.close();
    await fake.stop();
  }
});

test('a revoked cached token is replaced after the 401; the new one is cached again', async () => {
  const revoked = new Set<string>();
  const { fake, tokenRequests } = await tokenRegistry({ needs: () => ['repository:a/b:pull'], revoked });
  const client = new RegistryClient({ certsDirs: [] });
  try {
    const r = client.repository(parseReference(`${fake.host}/a/b`));
    await r.getManifest('latest');
    revoked.add('tok-1:repository:a/b:pull');
    await r.getManifest('latest');
    await r.getManifest('latest');
    assert.equal(tokenRequests.length, 2);
  } finally {
    client.close();
    await fake.stop();
  }
});

test('a refused retry surfaces as UnauthorizedError after exactly one re-authentication', async () => {
  // The registry wants a scope its token server never grants: tokens name what was asked, but
  // the registry checks for an extra scope the challenge does not mention.
  const { fake, tokenRequests } = await tokenRegistry({ needs: () => ['repository:a/b:pull'], revoked: { has: () => true } as unknown as Set<string> });
  const client = new RegistryClient({ certsDirs: [] });
  try {
    await assert.rejects(client.repository(parseReference(`${fake.host}/a/b`)).getManifest('latest'), (e: Error) => e instanceof UnauthorizedError && e.message === 'unauthorized: authentication required');
    assert.equal(tokenRequests.length, 2);
  } finally {
    client.close();
    await fake.stop();
  }
});

test('a registry that challenges only after the ping gets basic credentials, then up front', async () => {
  const fake = await startFakeRegistry((req, res) => {
    if (req.url === '/v2/') return false; // 200, no challenge
    if (req.headers.authorization !== 'Basic ' + Buffer.from('u:p').toString('base64')) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="late"' }).end();
      return true;
    }
    res.writeHead(200, { 'Content-Type': img.manifestType }).end(img.manifest);
    return true;
  });
  const client = new RegistryClient({ certsDirs: [] });
  try {
    const r = client.repository(parseReference(`${fake.host}/a/b`), { username: 'u', password: 'p' });
    await r.getManifest('latest');
    await r.getManifest('latest');
    const statuses = fake.requests.map((q) => `${q.url} ${q.headers.authorization ? 'auth' : 'anon'}`);
    assert.deepEqual(statuses, ['/v2/ anon', '/v2/a/b/manifests/latest anon', '/v2/a/b/manifests/latest auth', '/v2/a/b/manifests/latest auth']);
    await assert.rejects(client.repository(parseReference(`${fake.host}/a/c`)).getManifest('latest'), /no basic auth credentials/);
  } finally {
    client.close();
    await fake.stop();
  }
});

test('TokenService caches until shortly before expiry (at least 60 s) and shares one fetch in flight', async () => {
  const { fake, tokenRequests } = await tokenRegistry({ tokenLifetime: 5 });
  let now = 1_000_000;
  const transport = new HttpTransport({ insecure: new InsecureRegistries(), certsDirs: [], userAgent: 't', logger: Logger.silent(), headerTimeoutMs: 5000, maxSocketsPerHost: 4 });
  const tokens = new TokenService(transport, Logger.silent(), () => now);
  try {
    const req = { realm: `http://${fake.host}/token`, service: 'fake', scopes: ['repository:a:pull'] };
    const first = await Promise.all([tokens.get(req), tokens.get(req), tokens.get(req)]);
    assert.equal(new Set(first).size, 1);
    assert.equal(tokenRequests.length, 1);
    now += 49_000; // 5 s asked, 60 s assumed, renewed 10 s early
    assert.equal(await tokens.get(req), first[0]);
    now += 2_000;
    assert.notEqual(await tokens.get(req), first[0]);
    assert.equal(tokenRequests.length, 2);
    assert.notEqual(await tokens.get({ ...req, scopes: ['repository:b:pull'] }), first[0]);
    assert.equal(tokenRequests.length, 3, 'another scope is another token');
  } finally {
    transport.close();
    await fake.stop();
  }
});

test('requests reuse one keep-alive connection', async () => {
  const fake = await startFakeRegistry((req, res) => {
    if (req.url!.includes('/manifests/')) {
      res.writeHead(200, { 'Content-Type': img.manifestType }).end(img.manifest);
      return true;
    }
    return false;
  });
  const client = new RegistryClient({ certsDirs: [] });
  try {
    const r = client.repository(parseReference(`${fake.host}/a/b`));
    for (let i = 0; i < 5; i++) await r.getManifest('latest');
    assert.equal(fake.requests.length, 6);
    // One connection for the https attempt of the ping (plain server, refused TLS), one for everything else.
    assert.equal(new Set(fake.requests.map((q) => q.remotePort)).size, 1);
    assert.ok(fake.connections() <= 2, `${fake.connections()} connections`);
  } finally {
    client.close();
    await fake.stop();
  }
});

test('one caller aborting does not fail the shared ping and token fetch of another', async () => {
  const { fake, tokenRequests } = await tokenRegistry({ needs: () => ['repository:a/b:pull'] });
  const slow = await startFakeRegistry(async (req, res) => {
    // A slow registry whose tokens come from `fake`'s token endpoint.
    await new Promise((r) => setTimeout(r, 150));
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/v2/') {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${fake.host}/token",service="fake"` }).end();
      return true;
    }
    const auth = req.headers.authorization ?? '';
    if (!auth.includes('repository:a/b:pull')) {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${fake.host}/token",service="fake",scope="repository:a/b:pull"` }).end();
      return true;
    }
    res.writeHead(200, { 'Content-Type': img.manifestType }).end(img.manifest);
    return true;
  });
  const client = new RegistryClient({ certsDirs: [] });
  try {
    const r = client.repository(parseReference(`${slow.host}/a/b`));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const [a, b] = await Promise.allSettled([r.getManifest('latest', { signal: ac.signal }), r.getManifest('latest')]);
    assert.equal(a.status, 'rejected');
    assert.equal((a as PromiseRejectedResult).reason.name, 'AbortError');
    assert.equal(b.status, 'fulfilled');
    assert.ok((b as PromiseFulfilledResult<{ bytes: Buffer }>).value.bytes.equals(img.manifest));
    assert.equal(tokenRequests.length, 1);
  } finally {
    client.close();
    await slow.stop();
    await fake.stop();
  }
});
