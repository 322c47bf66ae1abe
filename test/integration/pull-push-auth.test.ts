/**
 * Registries that want credentials, through berthd and the berth CLI: the reference registry with
 * htpasswd over TLS (a CA and server certificate the test makes with openssl; 127.0.0.1 is an
 * insecure registry for Docker and Berth, so TLS is used without verification there), and behind a
 * token issuer the test runs (RS256 JWTs the registry verifies). Credentials travel as
 * X-Registry-Auth; POST /auth checks them; `berth login` stores them in $DOCKER_CONFIG, where
 * `berth pull`/`push` find them again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, run, repoRoot } from '../helpers/test-daemon.js';
import { startReferenceRegistry, type ReferenceRegistry } from '../helpers/reference-registry.js';
import { startTokenIssuer, type TokenIssuer } from '../helpers/token-issuer.js';
import { makeCa, makeServerCert } from '../helpers/test-pki.js';
import { apiPull, apiPush, census, registryAuth } from '../helpers/pull-push-support.js';

let d: TestDaemon;
let dir: string;
let tls: ReferenceRegistry;
let tokenReg: ReferenceRegistry;
let issuer: TokenIssuer;

before(async () => {
  dir = mkdtempSync('/var/tmp/berth-pullpush-auth-');
  const pki = join(dir, 'pki');
  mkdirSync(pki);
  const ca = makeCa(pki);
  const cert = makeServerCert(pki, ca);
  tls = await startReferenceRegistry({ dir: join(dir, 'tls'), tls: { certPath: cert.certPath, keyPath: cert.keyPath }, htpasswd: { alice: 'alice-secret' } });
  mkdirSync(join(dir, 'issuer'));
  issuer = await startTokenIssuer({
    dir: join(dir, 'issuer'),
    service: 'berth-registry',
    issuer: 'berth-issuer',
    users: { alice: 'alice-token-secret' },
    grant: (account, type, name) => {
      if (type !== 'repository') return [];
      if (account === 'alice') return ['pull', 'push'];
      return name.startsWith('public/') ? ['pull'] : [];
    },
  });
  tokenReg = await startReferenceRegistry({
    dir: join(dir, 'token'),
    token: { realm: issuer.realm, service: 'berth-registry', issuer: 'berth-issuer', rootCertBundle: issuer.signer.certPath },
  });
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
  await tls?.stop();
  await tokenReg?.stop();
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('htpasswd over TLS: refused without credentials, pushed and pulled with them', async () => {
  const name = `${tls.host}/team/app`;
  assert.equal((await d.api('POST', `/images/busybox/tag?repo=${name}&tag=v1`)).status, 201);
  const anon = await apiPush(d, name, 'v1');
  assert.equal(anon.status, 200);
  assert.match(anon.error ?? '', /no basic auth credentials|unauthorized|authentication required/, anon.text);
  const wrong = await apiPush(d, name, 'v1', registryAuth({ username: 'alice', password: 'wrong', serveraddress: tls.host }));
  assert.match(wrong.error ?? '', /unauthorized|authentication required/, wrong.text);
  const ok = await apiPush(d, name, 'v1', registryAuth({ username: 'alice', password: 'alice-secret', serveraddress: tls.host }));
  assert.equal(ok.error, undefined, ok.text);
  assert.ok(ok.lines.some((l) => l.startsWith('v1: digest: sha256:')), ok.text);

  assert.equal((await d.api('DELETE', `/images/${name}:v1`)).status, 200);
  const before = await census(d);
  const refused = await apiPull(d, name, 'v1');
  // Docker answers 500 here: a 401 would make the docker CLI prompt for a login.
  assert.equal(refused.status, 500, refused.text);
  assert.match(refused.error!, /no basic auth credentials/);
  assert.deepEqual(await census(d), before);
  const pulled = await apiPull(d, name, 'v1', registryAuth({ username: 'alice', password: 'alice-secret' }));
  assert.equal(pulled.error, undefined, pulled.text);
  assert.equal(pulled.lines.at(-1), `Status: Downloaded newer image for ${name}:v1`);
  // The "auth" field (base64 user:password, config.json's form) works as well.
  const viaAuth = await apiPull(d, name, 'v1', registryAuth({ auth: Buffer.from('alice:alice-secret').toString('base64') }));
  assert.equal(viaAuth.lines.at(-1), `Status: Image is up to date for ${name}:v1`, viaAuth.text);
});

test('POST /auth answers as Docker: Login Succeeded, or 401 with the reason', async () => {
  const good = await d.api('POST', '/auth', { username: 'alice', password: 'alice-secret', serveraddress: tls.host });
  assert.equal(good.status, 200, good.text);
  assert.deepEqual(good.json, { Status: 'Login Succeeded', IdentityToken: '' });
  const bad = await d.api('POST', '/auth', { username: 'alice', password: 'nope', serveraddress: tls.host });
  assert.equal(bad.status, 401, bad.text);
  assert.match(bad.json.message, /401 Unauthorized|unauthorized/);
  const malformed = await d.api('POST', '/auth', '{not json');
  assert.equal(malformed.status, 400);
  // A token registry hands out a refresh token: Docker returns it as the IdentityToken.
  const token = await d.api('POST', '/auth', { username: 'alice', password: 'alice-token-secret', serveraddress: `https://${tokenReg.host}/v2/` });
  assert.equal(token.status, 200, token.text);
  assert.equal(token.json.Status, 'Login Succeeded');
  assert.ok(token.json.IdentityToken.length > 10, token.text);
  const refresh = token.json.IdentityToken as string;
  // The identity token alone is enough to push afterwards.
  const name = `${tokenReg.host}/private/app`;
  assert.equal((await d.api('POST', `/images/busybox/tag?repo=${name}&tag=v1`)).status, 201);
  const pushed = await apiPush(d, name, 'v1', registryAuth({ identitytoken: refresh, serveraddress: tokenReg.host }));
  assert.equal(pushed.error, undefined, pushed.text);
});

test('token auth: scopes decide; anonymous pulls of public repositories work, of private ones do not', async () => {
  const alice = registryAuth({ username: 'alice', password: 'alice-token-secret' });
  const pub = `${tokenReg.host}/public/tool`;
  const priv = `${tokenReg.host}/private/tool`;
  for (const n of [pub, priv]) {
    assert.equal((await d.api('POST', `/images/busybox/tag?repo=${n}&tag=1`)).status, 201);
    const r = await apiPush(d, n, '1', alice);
    assert.equal(r.error, undefined, r.text);
  }
  const anonPush = await apiPush(d, `${tokenReg.host}/public/tool`, '1');
  assert.match(anonPush.error ?? '', /denied|unauthorized|authentication required/, anonPush.text);
  for (const n of [pub, priv]) assert.equal((await d.api('DELETE', `/images/${n}:1`)).status, 200);
  const okAnon = await apiPull(d, pub, '1');
  assert.equal(okAnon.error, undefined, okAnon.text);
  const denied = await apiPull(d, priv, '1');
  assert.notEqual(denied.status, 200, denied.text);
  // The reference registry answers an insufficient token with 401 UNAUTHORIZED (Docker Hub says DENIED).
  assert.equal(denied.status, 500, denied.text);
  assert.equal(denied.error, 'unauthorized: authentication required');
  const withCreds = await apiPull(d, priv, '1', alice);
  assert.equal(withCreds.error, undefined, withCreds.text);
  assert.ok(issuer.requests.some((r) => r.account === 'alice' && r.scopes.some((s) => s.includes('private/tool:pull'))));
});

/** The berth CLI with its own config directory. */
function berth(args: string[], input?: string) {
  return run(process.execPath, [join(repoRoot, 'dist/src/bin/berth.js'), '-H', d.host, ...args], {
    env: { ...process.env, DOCKER_CONFIG: join(dir, 'berth-config') },
    ...(input !== undefined ? { input } : {}),
  });
}

test('berth login stores credentials in $DOCKER_CONFIG; push and pull use them; logout removes them', async () => {
  const bad = await berth(['login', '-u', 'alice', '--password-stdin', tls.host], 'wrong\n');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unauthorized|401/);
  const login = await berth(['login', '-u', 'alice', '--password-stdin', tls.host], 'alice-secret\n');
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout, 'Login Succeeded\n');
  assert.match(login.stderr, /WARNING! Your password will be stored unencrypted in .*config\.json/);
  const cfg = JSON.parse(readFileSync(join(dir, 'berth-config', 'config.json'), 'utf8'));
  assert.deepEqual(cfg, { auths: { [tls.host]: { auth: Buffer.from('alice:alice-secret').toString('base64') } } });

  const name = `${tls.host}/cli/app`;
  assert.equal((await berth(['tag', 'busybox', `${name}:v1`])).code, 0);
  const push = await berth(['push', `${name}:v1`]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /^The push refers to repository \[.*\/cli\/app\]\n/);
  // The layer is known to be in team/app on this registry (pushed by the first test): mounted.
  assert.match(push.stdout, /: Mounted from team\/app\n/);
  assert.match(push.stdout, /\nv1: digest: sha256:[a-f0-9]{64} size: \d+\n$/);
  assert.equal((await berth(['rmi', `${name}:v1`])).code, 0);
  const pull = await berth(['pull', name]);
  // No `latest` there: the default tag is said, and the error names the manifest.
  assert.equal(pull.code, 1);
  assert.equal(pull.stdout, 'Using default tag: latest\n');
  assert.match(pull.stderr, /manifest for .*cli\/app:latest not found|manifest unknown/);
  const pullV1 = await berth(['pull', `${name}:v1`]);
  assert.equal(pullV1.code, 0, pullV1.stderr);
  assert.match(pullV1.stdout, /^v1: Pulling from cli\/app\n/);
  assert.match(pullV1.stdout, /\nStatus: Downloaded newer image for .*\/cli\/app:v1\n.*\/cli\/app:v1\n$/);
  const quiet = await berth(['pull', '-q', `${name}:v1`]);
  assert.equal(quiet.stdout, `${name}:v1\n`);

  const logout = await berth(['logout', tls.host]);
  assert.equal(logout.code, 0, logout.stderr);
  assert.equal(logout.stdout, `Removing login credentials for ${tls.host}\n`);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'berth-config', 'config.json'), 'utf8')), { auths: {} });
  const after = await berth(['pull', `${name}:v1`]);
  assert.notEqual(after.code, 0);
  assert.match(after.stderr, /no basic auth credentials/);
});
