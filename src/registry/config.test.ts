import test from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, configFromYaml, durationMs, resolveConfig } from './config.js';

const yaml = `
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /srv/reg
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: true
      age: 2h
      interval: 10m
    readonly:
      enabled: false
  gc:
    interval: 30m
    grace: 15m
http:
  addr: 127.0.0.1:6000
  tls:
    certificate: /c.pem
    key: /k.pem
`;

test('defaults apply when neither file nor flags say anything', () => {
  const c = resolveConfig({}, {});
  assert.equal(c.addr, '127.0.0.1:5000');
  assert.equal(c.root, '/var/lib/berth-registry');
  assert.deepEqual(c.auth, { kind: 'none' });
  assert.equal(c.deleteEnabled, false);
  assert.equal(c.readOnly, false);
  assert.equal(c.uploadExpiryMs, 168 * 3600_000);
  assert.equal(c.gcIntervalMs, 0);
  assert.equal(c.gcGraceMs, 3600_000);
  assert.equal(c.accessLog, true);
  assert.equal(c.tls, undefined);
});

test('the file overrides defaults, flags override the file', () => {
  const file = configFromYaml(yaml);
  const c = resolveConfig(file, { addr: '127.0.0.1:0', gcGrace: '1s', deleteEnabled: false });
  assert.equal(c.addr, '127.0.0.1:0');
  assert.equal(c.root, '/srv/reg');
  assert.equal(c.deleteEnabled, false);
  assert.equal(c.logLevel, 'warn');
  assert.equal(c.accessLog, false);
  assert.equal(c.uploadExpiryMs, 2 * 3600_000);
  assert.equal(c.uploadPurgeIntervalMs, 600_000);
  assert.equal(c.gcIntervalMs, 1800_000);
  assert.equal(c.gcGraceMs, 1000);
  assert.deepEqual(c.tls, { cert: '/c.pem', key: '/k.pem' });
  // Flags that were not given (undefined) do not erase the file's values.
  assert.equal(resolveConfig(file, { root: undefined }).root, '/srv/reg');
});

test('auth: htpasswd alone is basic auth; a token issuer takes users from htpasswd and access rules from the file', () => {
  assert.deepEqual(resolveConfig({}, { htpasswd: '/h' }).auth, { kind: 'htpasswd', realm: 'berth-registry', path: '/h' });
  const file = configFromYaml(`
auth:
  token:
    issuer: me
    service: reg
    expiration: 10m
    htpasswd: /users
    access:
      - account: reader
        name: "team/*"
        actions: [pull]
`);
  const c = resolveConfig(file, {});
  assert.equal(c.auth.kind, 'token');
  if (c.auth.kind !== 'token') return;
  assert.equal(c.auth.issuer, 'me');
  assert.equal(c.auth.service, 'reg');
  assert.equal(c.auth.expirationSeconds, 600);
  assert.equal(c.auth.htpasswd, '/users');
  assert.deepEqual(c.auth.access, [{ account: 'reader', name: 'team/*', actions: ['pull'] }]);
  assert.equal(resolveConfig({}, { tokenIssuer: 'x', htpasswd: '/h' }).auth.kind, 'token');
});

test('bad settings are refused with a message naming them', () => {
  const refuses = (f: () => unknown, what: RegExp) => assert.throws(f, (e: unknown) => e instanceof ConfigError && what.test(e.message));
  refuses(() => configFromYaml('storage:\n  s3: {}\n'), /storage\.s3 is not a known setting/);
  refuses(() => configFromYaml('http: [1]'), /http must be a mapping/);
  refuses(() => configFromYaml('storage:\n  delete:\n    enabled: "yes"\n'), /storage\.delete\.enabled must be true or false/);
  refuses(() => configFromYaml('auth:\n  token:\n    rootcertbundle: /x\n'), /external token server/);
  refuses(() => configFromYaml('auth:\n  token:\n    access:\n      - account: a\n        actions: [fly]\n'), /actions must list/);
  refuses(() => configFromYaml('a: [unclosed'), /Cannot read config/);
  refuses(() => resolveConfig({}, { addr: 'localhost' }), /HOST:PORT/);
  refuses(() => resolveConfig({}, { addr: '127.0.0.1:70000' }), /HOST:PORT/);
  refuses(() => resolveConfig({}, { tlsCert: '/c' }), /both a certificate and a key/);
  refuses(() => resolveConfig({}, { tokenIssuer: 'x' }), /htpasswd/);
  refuses(() => resolveConfig({}, { gcInterval: 'soon' }), /gc interval/);
  refuses(() => resolveConfig({}, { logLevel: 'loud' }), /log level/);
});

test('durationMs reads Go durations', () => {
  assert.equal(durationMs('1h30m', 'x'), 5400_000);
  assert.equal(durationMs('250ms', 'x'), 250);
  assert.equal(durationMs('0', 'x'), 0);
  assert.throws(() => durationMs('-1s', 'x'), ConfigError);
});

test('proxy: the reference registry\'s proxy section, flags over the file, a 5m tag ttl by default', () => {
  assert.equal(resolveConfig({}, {}).proxy, undefined, 'no proxy unless a remote URL is given');
  const file = configFromYaml(`
proxy:
  remoteurl: https://upstream.example:5000/
  username: puller
  password: s3cret
  ttl: 90s
`);
  assert.deepEqual(resolveConfig(file, {}).proxy, { remoteUrl: 'https://upstream.example:5000', username: 'puller', password: 's3cret', tagTtlMs: 90_000 });
  const flags = resolveConfig({}, { proxyRemoteUrl: 'http://127.0.0.1:5001', proxyUsername: 'u', proxyPasswordFile: '/run/pw' });
  assert.deepEqual(flags.proxy, { remoteUrl: 'http://127.0.0.1:5001', username: 'u', passwordFile: '/run/pw', tagTtlMs: 300_000 });
  assert.equal(resolveConfig(file, { proxyTtl: '0' }).proxy?.tagTtlMs, 0, 'ttl 0: every tag request asks upstream');
});

test('proxy: bad settings are refused', () => {
  const refuses = (f: () => unknown, what: RegExp) => assert.throws(f, (e: unknown) => e instanceof ConfigError && what.test(e.message));
  refuses(() => configFromYaml('proxy:\n  remote: x\n'), /proxy\.remote is not a known setting/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'ftp://x' }), /http:\/\/ or https:\/\//);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'not a url' }), /is not a URL/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'https://u:p@h' }), /must not carry credentials/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'https://h/v2/' }), /only scheme, host and port/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'https://h?x=1' }), /only scheme, host and port/);
  refuses(() => resolveConfig({}, { proxyUsername: 'u', proxyPassword: 'p' }), /need a proxy remote URL/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'https://h', proxyUsername: 'u' }), /username and password go together/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'https://h', proxyPassword: 'p' }), /username and password go together/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'https://h', proxyUsername: 'u', proxyPassword: 'p', proxyPasswordFile: '/f' }), /not both/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'https://h', proxyTtl: 'long' }), /proxy ttl/);
  refuses(() => resolveConfig({}, { proxyRemoteUrl: 'https://h', readOnly: true }), /cannot be read-only/);
});
