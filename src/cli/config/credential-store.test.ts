import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialStore, authKeyForHost, encodeRegistryAuth, indexServer, logoutKeys } from './credential-store.js';
import { DockerConfigFile, configDir, convertToHostname } from './docker-config.js';
import { CredentialHelper } from './credential-helper.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'berth-cfg-'));
}

/**
 * A credential helper speaking the real protocol from a shell script on PATH: it keeps one file
 * per server under $FAKE_STORE and logs each call.
 */
function installFakeHelper(dir: string): NodeJS.ProcessEnv {
  const bin = join(dir, 'bin');
  const store = join(dir, 'store');
  for (const d of [bin, store, join(dir, 'docker')]) mkdirSync(d, { recursive: true });
  const script = `#!/bin/sh
echo "$1" >> "$FAKE_STORE/calls"
case "$1" in
  store) input=$(cat); url=$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p'); key=$(printf '%s' "$url" | tr '/:' '__'); printf '%s' "$input" > "$FAKE_STORE/$key" ;;
  get) url=$(cat); key=$(printf '%s' "$url" | tr '/:' '__'); if [ -f "$FAKE_STORE/$key" ]; then cat "$FAKE_STORE/$key"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) url=$(cat); key=$(printf '%s' "$url" | tr '/:' '__'); rm -f "$FAKE_STORE/$key" ;;
  list) echo '{}' ;;
  *) echo "unknown action" ; exit 1 ;;
esac
`;
  writeFileSync(join(bin, 'docker-credential-fake'), script);
  chmodSync(join(bin, 'docker-credential-fake'), 0o755);
  return { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_STORE: store, DOCKER_CONFIG: join(dir, 'docker') };
}

test('config.json: auths written as docker writes them, other keys kept, file private, DOCKER_CONFIG honoured', async () => {
  const dir = tmp();
  try {
    const env = { DOCKER_CONFIG: join(dir, 'cfg') };
    assert.equal(configDir(env), join(dir, 'cfg'));
    assert.equal(configDir({ HOME: '/home/u' }), '/home/u/.docker');
    const s = await CredentialStore.open(env);
    assert.equal(s.isFileStore('localhost:5000'), true);
    assert.deepEqual(await s.get('localhost:5000'), { serveraddress: 'localhost:5000' });
    await s.store({ serveraddress: 'localhost:5000', username: 'alice', password: 'p:w' });
    const file = join(dir, 'cfg', 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, unknown>; psFormat?: string };
    assert.deepEqual({ ...onDisk }, { auths: { 'localhost:5000': { auth: Buffer.from('alice:p:w').toString('base64') } } });

    // Another tool's keys survive a rewrite; URL-shaped keys are found by host.
    onDisk.psFormat = 'table {{.ID}}';
    onDisk.auths['https://reg.example.com/v2/'] = { auth: Buffer.from('bob:x').toString('base64'), identitytoken: 'idt' };
    writeFileSync(file, JSON.stringify(onDisk));
    const again = await CredentialStore.open(env);
    assert.deepEqual(await again.get('reg.example.com'), { serveraddress: 'reg.example.com', username: 'bob', password: 'x', identitytoken: 'idt' });
    assert.deepEqual(await again.get('localhost:5000'), { serveraddress: 'localhost:5000', username: 'alice', password: 'p:w' });
    assert.equal(await again.erase('localhost:5000'), true);
    const after = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(after.psFormat, 'table {{.ID}}');
    assert.deepEqual(Object.keys(after.auths), ['https://reg.example.com/v2/']);
    assert.equal(await again.erase('localhost:5000'), false);
    writeFileSync(file, '{bad');
    await assert.rejects(DockerConfigFile.load(env), /loading config file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('credsStore and credHelpers: secrets go through the helper protocol, the file keeps an empty entry', async () => {
  const dir = tmp();
  try {
    const env = installFakeHelper(dir);
    writeFileSync(join(dir, 'docker', 'config.json'), JSON.stringify({ credHelpers: { 'helped.example:5000': 'fake' } }));
    const s = await CredentialStore.open(env);
    assert.equal(s.isFileStore('helped.example:5000'), false);
    assert.equal(s.isFileStore('other:5000'), true);
    assert.deepEqual(await s.get('helped.example:5000'), { serveraddress: 'helped.example:5000' });
    await s.store({ serveraddress: 'helped.example:5000', username: 'carol', password: 's3cret' });
    const stored = JSON.parse(readFileSync(join(dir, 'store', 'helped.example_5000'), 'utf8'));
    assert.deepEqual(stored, { ServerURL: 'helped.example:5000', Username: 'carol', Secret: 's3cret' });
    const cfg = JSON.parse(readFileSync(join(dir, 'docker', 'config.json'), 'utf8'));
    assert.deepEqual(cfg.auths, { 'helped.example:5000': {} });
    assert.equal(JSON.stringify(cfg).includes('s3cret'), false);
    const fresh = await CredentialStore.open(env);
    assert.deepEqual(await fresh.get('helped.example:5000'), { serveraddress: 'helped.example:5000', username: 'carol', password: 's3cret' });
    // Identity tokens travel with the helper's token user name.
    await fresh.store({ serveraddress: 'helped.example:5000', identitytoken: 'tok' });
    assert.deepEqual(await (await CredentialStore.open(env)).get('helped.example:5000'), { serveraddress: 'helped.example:5000', identitytoken: 'tok' });
    await fresh.erase('helped.example:5000');
    assert.equal(existsSync(join(dir, 'store', 'helped.example_5000')), false);
    assert.deepEqual(readFileSync(join(dir, 'store', 'calls'), 'utf8').trim().split('\n'), ['get', 'store', 'get', 'store', 'get', 'erase']);
    // credsStore applies to every registry without its own helper.
    writeFileSync(join(dir, 'docker', 'config.json'), JSON.stringify({ credsStore: 'fake' }));
    const all = await CredentialStore.open(env);
    await all.store({ serveraddress: indexServer, username: 'd', password: 'e' });
    assert.deepEqual(await all.get(indexServer), { serveraddress: indexServer, username: 'd', password: 'e' });
    // A helper that is not installed is a clear error.
    writeFileSync(join(dir, 'docker', 'config.json'), JSON.stringify({ credsStore: 'missing' }));
    await assert.rejects((await CredentialStore.open(env)).get('x'), /docker-credential-missing.*not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('helper errors other than "not found" are reported', async () => {
  const h = new CredentialHelper('x', {}, async () => ({ code: 1, stdout: 'the keychain is locked\n' }));
  await assert.rejects(h.get('s'), /the keychain is locked/);
  const nf = new CredentialHelper('x', {}, async () => ({ code: 1, stdout: 'credentials not found in native keychain\n' }));
  assert.equal(await nf.get('s'), undefined);
  const bad = new CredentialHelper('x', {}, async () => ({ code: 0, stdout: 'not json' }));
  await assert.rejects(bad.get('s'), /invalid JSON/);
});

test('X-Registry-Auth is padded base64url JSON; keys and logout names follow docker', () => {
  const enc = encodeRegistryAuth({ username: 'u', password: 'p?>>', serveraddress: 'localhost:5000' });
  assert.match(enc, /^[A-Za-z0-9_-]+=*$/);
  assert.equal(enc.length % 4, 0);
  assert.deepEqual(JSON.parse(Buffer.from(enc, 'base64url').toString()), { username: 'u', password: 'p?>>', serveraddress: 'localhost:5000' });
  assert.equal(authKeyForHost('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(authKeyForHost('localhost:5000'), 'localhost:5000');
  assert.equal(convertToHostname('https://h:1/v2/'), 'h:1');
  assert.deepEqual(logoutKeys('https://h:1/', false), { shown: 'h:1', keys: ['https://h:1/', 'h:1', 'http://h:1', 'https://h:1'] });
  assert.deepEqual(logoutKeys(indexServer, true), { shown: indexServer, keys: [indexServer] });
});
