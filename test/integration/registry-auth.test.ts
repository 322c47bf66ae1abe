/**
 * Auth against a real registry process: htpasswd basic auth over TLS (a CA and server
 * certificate made with openssl for 127.0.0.1), and bearer tokens from the built-in issuer with
 * per-repository scopes — a pull-only user can pull and cannot push, anonymous gets nothing.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { makeImage, writeOciLayout } from '../helpers/registry-fixtures.js';
import { call, makeTempDir, removeDir, run, startRegistry } from '../helpers/registry-process.js';

let work: string;

test.before(async () => {
  work = makeTempDir('berth-regauth-');
  writeOciLayout(join(work, 'img'), await makeImage({ seed: 'auth', layerCount: 2, layerBytes: 20_000 }), 'latest');
  const hash = (pw: string) => bcrypt.hashSync(pw, 5);
  writeFileSync(join(work, 'htpasswd'), `alice:${hash('alice-pw')}\nreader:${hash('reader-pw')}\nwriter:${hash('writer-pw')}\n`);
});
test.after(() => removeDir(work));

async function openssl(...args: string[]): Promise<void> {
  const r = await run('openssl', args);
  assert.equal(r.code, 0, r.stderr);
}

function httpsGet(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('htpasswd basic auth over TLS: skopeo pushes and pulls with the CA and credentials, and is refused without them', async () => {
  const tls = join(work, 'tls');
  mkdirSync(tls);
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tls, 'ca.key'), '-out', join(tls, 'ca.crt'), '-days', '2', '-subj', '/CN=berth test CA');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tls, 'server.key'), '-out', join(tls, 'server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(join(tls, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl('x509', '-req', '-in', join(tls, 'server.csr'), '-CA', join(tls, 'ca.crt'), '-CAkey', join(tls, 'ca.key'), '-CAcreateserial', '-out', join(tls, 'server.crt'), '-days', '2', '-extfile', join(tls, 'ext.cnf'));
  const certDir = join(work, 'certs');
  mkdirSync(certDir);
  copyFileSync(join(tls, 'ca.crt'), join(certDir, 'ca.crt'));
  const ca = readFileSync(join(tls, 'ca.crt'));

  const reg = await startRegistry({ args: ['--tls-cert', join(tls, 'server.crt'), '--tls-key', join(tls, 'server.key'), '--htpasswd', join(work, 'htpasswd')] });
  try {
    assert.match(reg.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const anon = await httpsGet(`${reg.url}/v2/`, ca);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers['www-authenticate'], 'Basic realm="berth-registry"');
    assert.equal(JSON.parse(anon.body).errors[0].code, 'UNAUTHORIZED');
    const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    assert.equal((await httpsGet(`${reg.url}/v2/`, ca, basic('alice', 'wrong'))).status, 401);
    assert.equal((await httpsGet(`${reg.url}/v2/`, ca, basic('alice', 'alice-pw'))).status, 200);

    const push = await run('skopeo', ['copy', '--dest-cert-dir', certDir, '--dest-creds', 'alice:alice-pw', `oci:${join(work, 'img')}:latest`, `docker://${reg.host}/secure/app:v1`]);
    assert.equal(push.code, 0, push.stderr);
    const noCreds = await run('skopeo', ['inspect', '--raw', '--cert-dir', certDir, '--no-creds', `docker://${reg.host}/secure/app:v1`]);
    assert.notEqual(noCreds.code, 0);
    assert.match(noCreds.stderr, /unauthorized|authentication required/i);
    // Without the CA, TLS verification fails.
    const noCa = await run('skopeo', ['inspect', '--raw', '--creds', 'alice:alice-pw', `docker://${reg.host}/secure/app:v1`]);
    assert.notEqual(noCa.code, 0);
    assert.match(noCa.stderr, /certificate|x509/i);
    const pull = await run('skopeo', ['copy', '--src-cert-dir', certDir, '--src-creds', 'alice:alice-pw', `docker://${reg.host}/secure/app:v1`, `oci:${join(work, 'pulled')}:v1`]);
    assert.equal(pull.code, 0, pull.stderr);
  } finally {
    await reg.stop();
    removeDir(reg.root);
  }
});

test('token auth: the built-in issuer grants per-repository scopes; a pull-only user cannot push; anonymous gets a challenge', async () => {
  writeFileSync(
    join(work, 'token.yml'),
    `auth:
  token:
    issuer: berth-test
    service: berth-registry
    htpasswd: ${join(work, 'htpasswd')}
    access:
      - account: writer
        name: "*"
        actions: [pull, push]
      - account: reader
        name: "*"
        actions: [pull]
      - account: alice
        name: "alice/*"
        actions: ["*"]
`,
  );
  const reg = await startRegistry({ args: ['--config', join(work, 'token.yml')] });
  try {
    const challenge = await call(`${reg.url}/v2/`);
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="berth-registry"`);
    const scoped = await call(`${reg.url}/v2/team/app/manifests/v1`);
    assert.equal(scoped.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="berth-registry",scope="repository:team/app:pull"`);

    const push = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'writer:writer-pw', `oci:${join(work, 'img')}:latest`, `docker://${reg.host}/team/app:v1`]);
    assert.equal(push.code, 0, push.stderr);
    const readerPull = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'reader:reader-pw', `docker://${reg.host}/team/app:v1`]);
    assert.equal(readerPull.code, 0, readerPull.stderr);
    const readerPush = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'reader:reader-pw', `oci:${join(work, 'img')}:latest`, `docker://${reg.host}/team/app:v2`]);
    assert.notEqual(readerPush.code, 0);
    assert.match(readerPush.stderr, /unauthorized|denied|insufficient/i);
    const tags = await run('skopeo', ['list-tags', '--tls-verify=false', '--creds', 'reader:reader-pw', `docker://${reg.host}/team/app`]);
    assert.deepEqual(JSON.parse(tags.stdout).Tags, ['v1'], 'the refused push left no tag');
    const anonymous = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--no-creds', `docker://${reg.host}/team/app:v1`]);
    assert.notEqual(anonymous.code, 0);
    // alice may do everything in alice/* only.
    const alicePush = await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:alice-pw', `oci:${join(work, 'img')}:latest`, `docker://${reg.host}/alice/app:v1`]);
    assert.equal(alicePush.code, 0, alicePush.stderr);
    const aliceElsewhere = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'alice:alice-pw', `docker://${reg.host}/team/app:v1`]);
    assert.notEqual(aliceElsewhere.code, 0);

    // The token endpoint itself: what is granted is what the rules allow, the rest is left out.
    const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const t = await call(`${reg.url}/token?service=berth-registry&scope=repository:team/app:pull,push`, { headers: basic('reader', 'reader-pw') });
    assert.equal(t.status, 200);
    assert.equal(typeof t.json.token, 'string');
    assert.equal(t.json.access_token, t.json.token);
    const claims = JSON.parse(Buffer.from(t.json.token.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.equal(claims.iss, 'berth-test');
    assert.equal((await call(`${reg.url}/token?service=berth-registry`, { headers: basic('reader', 'nope') })).status, 401);
    // The reader's token opens manifests but not uploads.
    const bearer = { Authorization: `Bearer ${t.json.token}` };
    assert.equal((await call(`${reg.url}/v2/team/app/manifests/v1`, { headers: bearer })).status, 200);
    const up = await call(`${reg.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: bearer });
    assert.equal(up.status, 401);
    assert.match(up.headers.get('www-authenticate')!, /scope="repository:team\/app:push",error="insufficient_scope"/);
    // A tampered token is refused.
    const [h, p, s] = t.json.token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, access: [{ type: 'repository', name: 'team/app', actions: ['*'] }] })).toString('base64url');
    assert.equal((await call(`${reg.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${h}.${forged}.${s}` } })).status, 401);
    void p;
    // The OAuth2 password grant answers too.
    const form = await call(`${reg.url}/token`, { method: 'POST', body: 'grant_type=password&username=writer&password=writer-pw&service=berth-registry&scope=repository:team/app:push', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 200);
    // Metrics need an htpasswd user.
    assert.equal((await call(`${reg.url}/metrics`)).status, 401);
    const metrics = await call(`${reg.url}/metrics`, { headers: basic('reader', 'reader-pw') });
    assert.match(metrics.body.toString(), /berth_registry_http_requests_total\{method="PUT",route="manifest",code="201"\} \d+/);
  } finally {
    await reg.stop();
    removeDir(reg.root);
  }
});
