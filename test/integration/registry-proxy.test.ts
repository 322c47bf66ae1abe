/**
 * `berth registry serve --proxy-remote-url`: a pull-through cache in front of a real upstream (the
 * reference registry, /usr/bin/docker-registry, or `berth registry serve`), driven by skopeo and
 * plain HTTP. Pulls by tag and digest arrive unchanged with one upstream fetch per blob, are then
 * served with the upstream stopped, a tag moved upstream is followed after the TTL, pushes are
 * refused as the reference's proxy refuses them, ranges of blobs not cached yet work, concurrent
 * pulls share one download, an htpasswd upstream is reached with the configured credentials, and
 * cached content is garbage-collected like the rest.
 * Hostile upstreams and kill -9: registry-proxy-hostile.test.ts.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Digest, type Digest } from '../../src/util/digest.js';
import { makeImage, writeOciLayout, type TestImage } from '../helpers/registry-fixtures.js';
import { startReferenceRegistry, type ReferenceRegistry } from '../helpers/reference-registry.js';
import { call, makeTempDir, removeDir, run, startRegistry, type RegistryProcess } from '../helpers/registry-process.js';

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';
const cleanups: Array<() => Promise<void> | void> = [];
let work: string;

test.before(() => {
  work = makeTempDir('berth-proxy-');
});

test.after(async () => {
  for (const c of cleanups.reverse()) await c();
  removeDir(work);
});

async function skopeo(...args: string[]) {
  return run('skopeo', args, { timeoutMs: 180_000 });
}

async function reference(name: string, opts: { htpasswd?: Record<string, string>; proxy?: { remoteurl: string } } = {}): Promise<ReferenceRegistry> {
  const r = await startReferenceRegistry({ dir: join(work, name), ...opts });
  cleanups.push(() => r.stop());
  return r;
}

async function berth(args: string[]): Promise<RegistryProcess> {
  const r = await startRegistry({ args });
  cleanups.push(async () => {
    await r.stop();
    removeDir(r.root);
  });
  return r;
}

async function imageDir(seed: string, layerBytes = 300_000): Promise<{ image: TestImage; dir: string }> {
  const image = await makeImage({ seed, layerCount: 3, layerBytes });
  const dir = join(work, `img-${seed}`);
  writeOciLayout(dir, image, 'latest');
  return { image, dir };
}

async function seed(host: string, dir: string, ref: string, creds?: string): Promise<void> {
  const r = await skopeo('copy', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', creds] : []), `oci:${dir}:latest`, `docker://${host}/${ref}`);
  assert.equal(r.code, 0, r.stderr);
}

/** A blob pushed by POST + PUT (both registries take it), referenced by no manifest. */
async function pushBlob(base: string, name: string, bytes: Buffer): Promise<Digest> {
  const d = sha256Digest(bytes);
  const post = await call(`${base}/v2/${name}/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202);
  const loc = new URL(post.headers.get('location')!, base);
  loc.searchParams.set('digest', d);
  const put = await call(loc.href, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(put.status, 201, put.body.toString());
  return d;
}

/** Every blob file under a registry root, checked to be named by the digest of its bytes. */
function storedBlobs(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const dir = join(root, 'blobs', 'sha256');
  for (const p of existsSync(dir) ? readdirSync(dir) : []) {
    for (const hex of readdirSync(join(dir, p))) {
      const bytes = readFileSync(join(dir, p, hex));
      assert.equal(sha256Digest(bytes), `sha256:${hex}`, `stored blob ${hex} is whole and verified`);
      out.set(`sha256:${hex}`, bytes);
    }
  }
  return out;
}

/** A blob a response delivered is committed right after (the response ends at its verification). */
async function waitStored(root: string, d: string): Promise<Buffer | undefined> {
  const until = Date.now() + 10_000;
  while (!storedBlobs(root).has(d) && Date.now() < until) await sleep(20);
  return storedBlobs(root).get(d);
}

async function metric(reg: RegistryProcess, series: string): Promise<number> {
  const text = (await call(`${reg.url}/metrics`)).body.toString();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** A metric that follows a commit: waits (a little) for it to reach `expected`, then compares. */
async function settledMetric(reg: RegistryProcess, series: string, expected: number): Promise<void> {
  const until = Date.now() + 10_000;
  while ((await metric(reg, series)) !== expected && Date.now() < until) await sleep(20);
  assert.equal(await metric(reg, series), expected, series);
}

function assertSameImage(dir: string, image: TestImage): void {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].digest, image.manifest.digest);
  for (const b of [image.config, ...image.layers]) assert.ok(readFileSync(join(dir, 'blobs', 'sha256', b.digest.slice(7))).equals(b.bytes), `blob ${b.digest} unchanged`);
}

// One upstream (the reference registry) and one proxy for the first tests; the upstream is stopped at the end.
let upstream: ReferenceRegistry;
let proxy: RegistryProcess;
let app: { image: TestImage; dir: string };

test('skopeo pulls through the proxy by tag and by digest: unchanged, one upstream fetch per blob, verified in the storage', async () => {
  upstream = await reference('upstream');
  app = await imageDir('proxy-app');
  await seed(upstream.host, app.dir, 'team/app:v1');
  proxy = await berth(['--proxy-remote-url', `http://${upstream.host}`, '--proxy-ttl', '2s']);

  const out = join(work, 'pulled-by-tag');
  const r = await skopeo('copy', '--src-tls-verify=false', `docker://${proxy.host}/team/app:v1`, `oci:${out}:v1`);
  assert.equal(r.code, 0, r.stderr);
  assertSameImage(out, app.image);

  const byDigest = join(work, 'pulled-by-digest');
  const r2 = await skopeo('copy', '--src-tls-verify=false', `docker://${proxy.host}/team/app@${app.image.manifest.digest}`, `dir:${byDigest}`);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(sha256Digest(readFileSync(join(byDigest, 'manifest.json'))), app.image.manifest.digest);
  for (const l of app.image.layers) assert.ok(readFileSync(join(byDigest, l.digest.slice(7))).equals(l.bytes));

  for (const b of [app.image.config, ...app.image.layers]) {
    assert.equal(upstream.countRequests('GET', `/v2/team/app/blobs/${b.digest}`), 1, `blob ${b.digest} fetched from upstream once`);
  }
  assert.equal(upstream.countRequests('GET', '/v2/team/app/manifests/v1'), 1);
  assert.equal(upstream.countRequests('GET', `/v2/team/app/manifests/${app.image.manifest.digest}`), 0, 'the pull by digest came from the cache');

  for (const b of [app.image.config, ...app.image.layers, app.image.manifest]) assert.ok((await waitStored(proxy.root, b.digest))?.equals(b.bytes), `${b.digest} cached`);
  assert.deepEqual(readdirSync(join(proxy.root, 'ingest')), [], 'no download left half-written');
  assert.equal(readFileSync(join(proxy.root, 'repositories', 'team', 'app', '_manifests', 'tags', 'v1'), 'utf8'), app.image.manifest.digest);

  assert.equal(await metric(proxy, 'berth_registry_proxy_lookups_total{kind="blob",result="miss"}'), 4);
  assert.ok((await metric(proxy, 'berth_registry_proxy_lookups_total{kind="blob",result="hit"}')) >= 4, 'the second pull hit the cache');
  assert.equal(await metric(proxy, 'berth_registry_proxy_lookups_total{kind="manifest",result="miss"}'), 1);
  assert.ok((await metric(proxy, 'berth_registry_proxy_lookups_total{kind="manifest",result="hit"}')) >= 1);
  await settledMetric(proxy, 'berth_registry_proxy_blob_fetches_total{outcome="stored"}', 4);
  const blobBytes = [app.image.config, ...app.image.layers].reduce((n, b) => n + b.bytes.length, 0);
  assert.equal(await metric(proxy, 'berth_registry_proxy_upstream_blob_bytes_total'), blobBytes);
});

test('pushes and deletes are refused as the reference registry refuses them in proxy mode (405 UNSUPPORTED), nothing changes', async () => {
  const ref = await reference('reference-proxy', { proxy: { remoteurl: `http://${upstream.host}` } });
  const refUrl = `http://${ref.host}`;
  const before = storedBlobs(proxy.root).size;
  const m = app.image.manifest;
  const attempts: Array<[string, string, RequestInit & { body?: Buffer | string }]> = [
    ['POST', '/v2/team/app/blobs/uploads/', {}],
    ['PUT', '/v2/team/app/manifests/v9', { body: m.bytes, headers: { 'Content-Type': ociManifest } }],
    ['DELETE', `/v2/team/app/manifests/${m.digest}`, {}],
    ['DELETE', `/v2/team/app/blobs/${app.image.layers[0]!.digest}`, {}],
  ];
  for (const [method, path, init] of attempts) {
    const ours = await call(`${proxy.url}${path}`, { method, ...init });
    const theirs = await call(`${refUrl}${path}`, { method, ...init });
    assert.equal(theirs.status, 405, `the reference answers ${method} ${path} with 405`);
    assert.equal(theirs.json?.errors?.[0]?.code, 'UNSUPPORTED');
    assert.equal(ours.status, theirs.status, `${method} ${path}`);
    assert.equal(ours.json?.errors?.[0]?.code, 'UNSUPPORTED');
    assert.match(ours.json.errors[0].message, /pull-through cache of http:\/\/127\.0\.0\.1:\d+/);
  }
  const push = await skopeo('copy', '--dest-tls-verify=false', '--retry-times', '0', `oci:${app.dir}:latest`, `docker://${proxy.host}/team/pushed:v1`);
  assert.notEqual(push.code, 0, 'skopeo cannot push to the cache');
  assert.equal(storedBlobs(proxy.root).size, before);
  assert.deepEqual(readdirSync(join(proxy.root, 'uploads')), []);
  assert.equal(existsSync(join(proxy.root, 'repositories', 'team', 'pushed')), false);
});

test('the tags list is upstream\'s; the catalog lists what is cached', async () => {
  const r = await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${upstream.host}/team/app:v1`, `docker://${upstream.host}/team/app:v2`);
  assert.equal(r.code, 0, r.stderr);
  await seed(upstream.host, app.dir, 'other/never-pulled:v1');
  const tags = await skopeo('list-tags', '--tls-verify=false', `docker://${proxy.host}/team/app`);
  assert.equal(tags.code, 0, tags.stderr);
  assert.deepEqual(JSON.parse(tags.stdout).Tags, ['v1', 'v2'], 'v2 was never pulled through the cache');
  const page = await call(`${proxy.url}/v2/team/app/tags/list?n=1`);
  assert.deepEqual(page.json.tags, ['v1']);
  assert.match(page.headers.get('link') ?? '', /last=v1/);
  assert.equal((await call(`${proxy.url}/v2/nobody/here/tags/list`)).json.errors[0].code, 'NAME_UNKNOWN');
  assert.deepEqual((await call(`${proxy.url}/v2/_catalog`)).json.repositories, ['team/app']);
});

test('blobs not cached yet: a Range request gets its bytes (206) and the blob is cached; a HEAD fetches nothing', async () => {
  const base = `http://${upstream.host}`;
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const d = await pushBlob(base, 'team/app', big);
  const part = await call(`${proxy.url}/v2/team/app/blobs/${d}`, { headers: { Range: 'bytes=1000-1999' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${big.length}`);
  assert.ok(part.body.equals(big.subarray(1000, 2000)));
  // A range's last byte waits for the whole blob's verification; the commit follows.
  assert.ok((await waitStored(proxy.root, d))?.equals(big), 'the whole blob was cached');

  const other = randomBytes(200_000);
  const d2 = await pushBlob(base, 'team/app', other);
  const head = await call(`${proxy.url}/v2/team/app/blobs/${d2}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(other.length));
  assert.equal(head.headers.get('docker-content-digest'), d2);
  assert.equal(upstream.countRequests('GET', `/v2/team/app/blobs/${d2}`), 0, 'a HEAD does not download');
  assert.equal(storedBlobs(proxy.root).has(d2), false);
  const suffix = await call(`${proxy.url}/v2/team/app/blobs/${d2}`, { headers: { Range: 'bytes=-100' } });
  assert.equal(suffix.status, 206);
  assert.ok(suffix.body.equals(other.subarray(other.length - 100)));
  const unknown = await call(`${proxy.url}/v2/team/app/blobs/${sha256Digest('nothing')}`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.errors[0].code, 'BLOB_UNKNOWN');
});

test('with the upstream stopped, the same pulls are served from the cache (by tag past the TTL: stale)', async () => {
  await upstream.stop();
  await sleep(2200); // past the 2s TTL: the tag's revalidation meets a dead upstream
  const out = join(work, 'offline-by-tag');
  const r = await skopeo('copy', '--src-tls-verify=false', `docker://${proxy.host}/team/app:v1`, `oci:${out}:v1`);
  assert.equal(r.code, 0, r.stderr);
  assertSameImage(out, app.image);
  const r2 = await skopeo('copy', '--src-tls-verify=false', `docker://${proxy.host}/team/app@${app.image.manifest.digest}`, `dir:${join(work, 'offline-by-digest')}`);
  assert.equal(r2.code, 0, r2.stderr);
  assert.ok((await metric(proxy, 'berth_registry_proxy_lookups_total{kind="manifest",result="stale"}')) >= 1);
  assert.match(proxy.logs(), /upstream failed; serving the cached manifest/);
  const tags = await call(`${proxy.url}/v2/team/app/tags/list`);
  assert.deepEqual(tags.json.tags, ['v1'], 'the cached tags when upstream is down');
  const missing = await call(`${proxy.url}/v2/team/app/manifests/v2`);
  assert.equal(missing.status, 502, 'never cached, upstream down');
  assert.equal(missing.json.errors[0].code, 'UNKNOWN');
  assert.match(missing.json.errors[0].message, /upstream registry http:\/\/127\.0\.0\.1:\d+ failed/);
});

test('a tag moved upstream (a berth registry) is seen after the TTL, through a HEAD', async () => {
  const up = await berth([]);
  const a = await imageDir('moving-a', 50_000);
  const b = await imageDir('moving-b', 50_000);
  await seed(up.host, a.dir, 'team/moving:v1');
  await seed(up.host, b.dir, 'team/moving:next');
  const ttlMs = 3000;
  const px = await berth(['--proxy-remote-url', up.url, '--proxy-ttl', `${ttlMs}ms`]);
  const get = () => call(`${px.url}/v2/team/moving/manifests/v1`, { headers: { Accept: ociManifest } });
  const heads = () => up.logs().split('\n').filter((l) => l.includes('"method":"HEAD","path":"/v2/team/moving/manifests/v1"')).length;
  const first = await get();
  const t0 = Date.now();
  assert.equal(first.headers.get('docker-content-digest'), a.image.manifest.digest);
  // Move the tag upstream with one manifest PUT (b's blobs are there already).
  const moved = await call(`${up.url}/v2/team/moving/manifests/v1`, { method: 'PUT', body: b.image.manifest.bytes, headers: { 'Content-Type': ociManifest } });
  assert.equal(moved.status, 201);
  const headsBefore = heads();
  const within = await get();
  assert.ok(Date.now() - t0 < ttlMs, 'the check ran within the TTL');
  assert.equal(within.headers.get('docker-content-digest'), a.image.manifest.digest, 'within the TTL: the cached tag');
  assert.equal(heads(), headsBefore, 'and upstream not asked');
  await sleep(Math.max(0, ttlMs + 200 - (Date.now() - t0)));
  const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${px.host}/team/moving:v1`);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(sha256Digest(Buffer.from(raw.stdout)), b.image.manifest.digest, 'after the TTL: the moved tag');
  assert.ok(heads() > headsBefore, 'revalidated with a HEAD');
  const out = join(work, 'moved');
  const pulled = await skopeo('copy', '--src-tls-verify=false', `docker://${px.host}/team/moving:v1`, `oci:${out}:v1`);
  assert.equal(pulled.code, 0, pulled.stderr);
  assertSameImage(out, b.image);
  assert.ok((await metric(px, 'berth_registry_proxy_lookups_total{kind="manifest",result="miss"}')) >= 2);
});

test('an htpasswd upstream: the proxy (config file) pulls with its credentials; wrong ones answer DENIED and cache nothing', async () => {
  const up = await reference('upstream-auth', { htpasswd: { puller: 'pull-secret' } });
  const img = await imageDir('proxy-auth', 50_000);
  await seed(up.host, img.dir, 'private/app:v1', 'puller:pull-secret');
  const anonymous = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${up.host}/private/app:v1`);
  assert.notEqual(anonymous.code, 0, 'the upstream refuses anonymous pulls');

  const configPath = join(work, 'proxy-auth.yml');
  writeFileSync(configPath, `version: 0.1\nproxy:\n  remoteurl: http://${up.host}\n  username: puller\n  password: pull-secret\n  ttl: 1m\n`);
  const px = await berth(['--config', configPath]);
  const out = join(work, 'auth-pulled');
  const r = await skopeo('copy', '--src-tls-verify=false', `docker://${px.host}/private/app:v1`, `oci:${out}:v1`);
  assert.equal(r.code, 0, r.stderr);
  assertSameImage(out, img.image);

  const pwFile = join(work, 'wrong-password');
  writeFileSync(pwFile, 'not-the-password\n');
  const bad = await berth(['--proxy-remote-url', `http://${up.host}`, '--proxy-username', 'puller', '--proxy-password-file', pwFile]);
  const denied = await call(`${bad.url}/v2/private/app/manifests/v1`, { headers: { Accept: ociManifest } });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.errors[0].code, 'DENIED');
  assert.match(denied.json.errors[0].message, /refused this cache access/);
  const blob = await call(`${bad.url}/v2/private/app/blobs/${img.image.layers[0]!.digest}`);
  assert.equal(blob.status, 403);
  assert.equal(storedBlobs(bad.root).size, 0, 'nothing cached');
});

test('concurrent pulls of one uncached blob cause one upstream fetch (counted in the upstream\'s access log)', async () => {
  const up = await reference('upstream-concurrent');
  const px = await berth(['--proxy-remote-url', `http://${up.host}`]);
  const big = randomBytes(24 * 1024 * 1024);
  const d = await pushBlob(`http://${up.host}`, 'big/blob', big);
  const bodies = await Promise.all(Array.from({ length: 8 }, () => call(`${px.url}/v2/big/blob/blobs/${d}`)));
  for (const b of bodies) {
    assert.equal(b.status, 200);
    assert.ok(b.body.equals(big));
  }
  assert.equal(up.countRequests('GET', `/v2/big/blob/blobs/${d}`), 1, 'one download for eight clients');
  await settledMetric(px, 'berth_registry_proxy_blob_fetches_total{outcome="stored"}', 1);
  assert.ok((await metric(px, 'berth_registry_proxy_lookups_total{kind="blob",result="joined"}')) >= 1);

  // Three skopeo pulls of a fresh image at once: still one GET per blob upstream.
  const img = await imageDir('proxy-concurrent', 2 * 1024 * 1024);
  await seed(up.host, img.dir, 'team/many:v1');
  const pulls = await Promise.all([0, 1, 2].map((i) => skopeo('copy', '--src-tls-verify=false', `docker://${px.host}/team/many:v1`, `oci:${join(work, `many-${i}`)}:v1`)));
  for (const [i, p] of pulls.entries()) {
    assert.equal(p.code, 0, p.stderr);
    assertSameImage(join(work, `many-${i}`), img.image);
  }
  for (const b of [img.image.config, ...img.image.layers]) assert.equal(up.countRequests('GET', `/v2/team/many/blobs/${b.digest}`), 1, `blob ${b.digest}`);
  assert.equal(up.countRequests('GET', '/v2/team/many/manifests/v1'), 1, 'and one manifest GET');
});

test('cached content is collected like the rest: what a cached tag references stays, a blob fetched alone goes', async () => {
  const up = await reference('upstream-gc');
  const img = await imageDir('proxy-gc', 50_000);
  await seed(up.host, img.dir, 'team/gc:v1');
  const lone = randomBytes(100_000);
  const loneDigest = await pushBlob(`http://${up.host}`, 'team/gc', lone);
  const px = await berth(['--proxy-remote-url', `http://${up.host}`, '--gc-grace', '0s']);
  const r = await skopeo('copy', '--src-tls-verify=false', `docker://${px.host}/team/gc:v1`, `oci:${join(work, 'gc-pulled')}:v1`);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await call(`${px.url}/v2/team/gc/blobs/${loneDigest}`)).body.equals(lone));
  assert.ok(await waitStored(px.root, loneDigest));
  await sleep(20);
  px.child.kill('SIGUSR1');
  const deadline = Date.now() + 20_000;
  while (!/gc: collection done/.test(px.logs()) && Date.now() < deadline) await sleep(50);
  assert.match(px.logs(), /gc: collection done/);
  const left = storedBlobs(px.root);
  assert.equal(left.has(loneDigest), false, 'the blob no cached manifest references was collected');
  for (const b of [img.image.config, ...img.image.layers, img.image.manifest]) assert.ok(left.has(b.digest), `${b.digest} kept: the cached tag references it`);
  await up.stop();
  const again = await skopeo('copy', '--src-tls-verify=false', `docker://${px.host}/team/gc@${img.image.manifest.digest}`, `oci:${join(work, 'gc-again')}:v1`);
  assert.equal(again.code, 0, again.stderr);
  assertSameImage(join(work, 'gc-again'), img.image);
});
