/**
 * The cache's policy against a recording in-memory upstream (the real registries are in
 * test/integration/registry-proxy.test.ts): tag TTL and revalidation, moved and dropped tags,
 * stale answers when upstream fails, shared upstream requests, tag lists, HEADs without fetching.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sha256Digest, type Digest } from '../../util/digest.js';
import { Logger } from '../../util/log.js';
import { mediaTypes, parseManifest, RegistryError, type Descriptor } from '../../distribution/index.js';
import type { FetchedManifest } from '../../distribution/client/index.js';
import { RegistryMetrics } from '../metrics.js';
import { RegistryStorage } from '../storage/index.js';
import { PullThroughCache, type UpstreamRegistry } from './pull-through-cache.js';

function manifest(label: string): FetchedManifest {
  const config = Buffer.from(JSON.stringify({ label }));
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: sha256Digest(config), size: config.length }, layers: [] }));
  const parsed = parseManifest(bytes, mediaTypes.ociManifest);
  return { bytes, mediaType: parsed.mediaType, digest: parsed.digest, parsed };
}

/** An upstream whose content the test sets, that counts calls and can be made to fail. */
class FakeUpstream implements UpstreamRegistry {
  readonly remoteUrl = 'http://upstream.test';
  readonly tags = new Map<string, FetchedManifest>();
  readonly byDigest = new Map<string, FetchedManifest>();
  readonly blobs = new Map<Digest, Buffer>();
  tagList: string[] | undefined = undefined;
  failing = false;
  calls: string[] = [];
  /** Resolves held requests when set (to make requests overlap). */
  hold: Promise<void> | undefined;

  private async enter(call: string): Promise<void> {
    this.calls.push(call);
    if (this.hold) await this.hold;
    if (this.failing) throw new RegistryError('UNKNOWN', 'upstream unreachable', undefined, 502);
  }

  tag(name: string, tag: string, m: FetchedManifest): void {
    this.tags.set(`${name}:${tag}`, m);
    this.byDigest.set(`${name}@${m.digest}`, m);
  }

  async getManifest(name: string, reference: string): Promise<FetchedManifest | undefined> {
    await this.enter(`GET ${name} ${reference}`);
    return this.tags.get(`${name}:${reference}`) ?? this.byDigest.get(`${name}@${reference}`);
  }

  async headManifest(name: string, reference: string): Promise<Descriptor | undefined> {
    await this.enter(`HEAD ${name} ${reference}`);
    const m = this.tags.get(`${name}:${reference}`) ?? this.byDigest.get(`${name}@${reference}`);
    return m && { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
  }

  async statBlob(name: string, d: Digest): Promise<number | undefined> {
    await this.enter(`HEAD blob ${name} ${d}`);
    return this.blobs.get(d)?.length;
  }

  fetchBlob(name: string, desc: Descriptor): Readable {
    this.calls.push(`GET blob ${name} ${desc.digest}`);
    const bytes = this.blobs.get(desc.digest)!;
    return Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]);
  }

  async listTags(name: string): Promise<string[] | undefined> {
    await this.enter(`TAGS ${name}`);
    return this.tagList;
  }

  count(prefix: string): number {
    return this.calls.filter((c) => c.startsWith(prefix)).length;
  }
}

async function setup(t: { after(fn: () => void): void }, tagTtlMs = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ptc-'));
  const storage = await RegistryStorage.open({ root: dir, logger: Logger.silent() });
  t.after(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const upstream = new FakeUpstream();
  const metrics = new RegistryMetrics();
  let offset = 0;
  const cache = new PullThroughCache({ storage, upstream, tagTtlMs, metrics, logger: Logger.silent(), now: () => Date.now() + offset });
  return { storage, upstream, metrics, cache, later: (ms: number) => (offset += ms) };
}

const lookups = (m: RegistryMetrics, kind: string, result: string): number =>
  Number(new RegExp(`berth_registry_proxy_lookups_total\\{kind="${kind}",result="${result}"\\} (\\d+)`).exec(m.render())?.[1] ?? 0);

test('a tag is fetched once, served from the cache for the TTL, then revalidated with a HEAD', async (t) => {
  const { cache, upstream, metrics, storage, later } = await setup(t);
  const v1 = manifest('one');
  upstream.tag('team/app', 'v1', v1);
  const first = await cache.getManifest('team/app', 'v1');
  assert.equal(first?.digest, v1.digest);
  assert.ok(first?.bytes.equals(v1.bytes));
  assert.deepEqual(upstream.calls, ['GET team/app v1']);
  assert.equal((await storage.getManifest('team/app', 'v1'))?.digest, v1.digest, 'stored with its tag');
  assert.equal((await cache.getManifest('team/app', 'v1'))?.digest, v1.digest);
  assert.equal(upstream.calls.length, 1, 'within the TTL upstream is not asked');
  later(61_000);
  assert.equal((await cache.getManifest('team/app', 'v1'))?.digest, v1.digest);
  assert.deepEqual(upstream.calls.slice(1), ['HEAD team/app v1'], 'after it, a HEAD and no GET');
  assert.equal((await cache.getManifest('team/app', 'v1'))?.digest, v1.digest);
  assert.equal(upstream.calls.length, 2, 'the confirmation restarted the TTL');
  assert.deepEqual([lookups(metrics, 'manifest', 'miss'), lookups(metrics, 'manifest', 'hit'), lookups(metrics, 'manifest', 'revalidated')], [1, 2, 1]);
});

test('a tag moved upstream is followed after the TTL: the new manifest is fetched by digest and the tag moved', async (t) => {
  const { cache, upstream, storage, later } = await setup(t);
  const v1 = manifest('one');
  const v2 = manifest('two');
  upstream.tag('team/app', 'v1', v1);
  await cache.getManifest('team/app', 'v1');
  upstream.tag('team/app', 'v1', v2);
  assert.equal((await cache.getManifest('team/app', 'v1'))?.digest, v1.digest, 'still the cached one within the TTL');
  later(61_000);
  assert.equal((await cache.getManifest('team/app', 'v1'))?.digest, v2.digest);
  assert.deepEqual(upstream.calls, ['GET team/app v1', 'HEAD team/app v1', `GET team/app ${v2.digest}`]);
  assert.equal((await storage.getManifest('team/app', 'v1'))?.digest, v2.digest);
  assert.equal((await storage.getManifest('team/app', v1.digest))?.digest, v1.digest, 'the old manifest stays by digest');
});

test('upstream failing after the TTL: the cached manifest is served (stale); a miss is the upstream error', async (t) => {
  const { cache, upstream, metrics, later } = await setup(t);
  const v1 = manifest('one');
  upstream.tag('team/app', 'v1', v1);
  await cache.getManifest('team/app', 'v1');
  upstream.failing = true;
  later(61_000);
  assert.equal((await cache.getManifest('team/app', 'v1'))?.digest, v1.digest);
  assert.equal(lookups(metrics, 'manifest', 'stale'), 1);
  assert.equal((await cache.getManifest('team/app', v1.digest))?.digest, v1.digest, 'by digest: the cache, no upstream');
  await assert.rejects(cache.getManifest('team/app', 'v2'), (e: unknown) => e instanceof RegistryError && e.status === 502);
});

test('a tag upstream no longer has is dropped from the cache', async (t) => {
  const { cache, upstream, storage, later } = await setup(t);
  const v1 = manifest('one');
  upstream.tag('team/app', 'v1', v1);
  await cache.getManifest('team/app', 'v1');
  upstream.tags.delete('team/app:v1');
  later(61_000);
  assert.equal(await cache.getManifest('team/app', 'v1'), undefined);
  assert.equal(await storage.getManifest('team/app', 'v1'), undefined, 'the tag is gone');
  assert.equal((await storage.getManifest('team/app', v1.digest))?.digest, v1.digest, 'the manifest stays by digest');
});

test('a TTL of 0 asks upstream on every request', async (t) => {
  const { cache, upstream } = await setup(t, 0);
  upstream.tag('team/app', 'v1', manifest('one'));
  await cache.getManifest('team/app', 'v1');
  await cache.getManifest('team/app', 'v1');
  await cache.getManifest('team/app', 'v1');
  assert.deepEqual(upstream.calls, ['GET team/app v1', 'HEAD team/app v1', 'HEAD team/app v1']);
});

test('concurrent requests for one manifest share one upstream request', async (t) => {
  const { cache, upstream, metrics } = await setup(t);
  const v1 = manifest('one');
  upstream.tag('team/app', 'v1', v1);
  let release!: () => void;
  upstream.hold = new Promise((r) => (release = r));
  const all = Promise.all([1, 2, 3, 4].map(() => cache.getManifest('team/app', v1.digest)));
  await new Promise((r) => setImmediate(r));
  release();
  for (const m of await all) assert.equal(m?.digest, v1.digest);
  assert.equal(upstream.count('GET'), 1);
  assert.equal(lookups(metrics, 'manifest', 'joined'), 3);
});

test('tags come from upstream, sorted; the cached tags when upstream fails; unknown stays unknown', async (t) => {
  const { cache, upstream } = await setup(t);
  upstream.tag('team/app', 'v1', manifest('one'));
  await cache.getManifest('team/app', 'v1');
  upstream.tagList = ['v3', 'v1', 'v2', 'v1'];
  assert.deepEqual(await cache.tags('team/app'), ['v1', 'v2', 'v3']);
  upstream.tagList = undefined;
  assert.equal(await cache.tags('team/app'), undefined);
  upstream.failing = true;
  assert.deepEqual(await cache.tags('team/app'), ['v1']);
  await assert.rejects(cache.tags('never/cached'), (e: unknown) => e instanceof RegistryError && e.status === 502);
});

test('blobs: a HEAD asks upstream without fetching; concurrent GETs share one download; then hits', async (t) => {
  const { cache, upstream, storage, metrics } = await setup(t);
  const blob = randomBytes(50_000);
  const d = sha256Digest(blob);
  upstream.blobs.set(d, blob);
  const head = await cache.blob('team/app', d, { bodyless: true });
  assert.equal(head?.size, blob.length);
  assert.equal(upstream.count('GET blob'), 0);
  assert.equal(await storage.statBlob('team/app', d), undefined, 'a HEAD stores nothing');
  assert.equal(await cache.blob('team/app', sha256Digest('nope'), { bodyless: false }), undefined);

  const bodies = await Promise.all([1, 2, 3, 4, 5].map(() => cache.blob('team/app', d, { bodyless: false })));
  const got = await Promise.all(bodies.map(async (b) => Buffer.concat(await (await b!.open()).toArray())));
  for (const g of got) assert.ok(g.equals(blob));
  assert.equal(upstream.count('GET blob'), 1, 'one download');
  assert.equal(upstream.count(`HEAD blob team/app ${d}`), 2, 'one HEAD for the HEAD request, one for the five GETs');
  // The readers finish at the verification; the commit (fsync, rename, link) follows.
  for (let i = 0; i < 200 && !(await storage.statBlob('team/app', d)); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok((await storage.statBlob('team/app', d))?.size === blob.length, 'stored and linked');
  await cache.blob('team/app', d, { bodyless: false });
  assert.equal(upstream.count('GET blob'), 1);
  assert.ok(lookups(metrics, 'blob', 'joined') >= 4);
  assert.equal(lookups(metrics, 'blob', 'hit'), 1);

  // Another repository: upstream is asked whether it has the blob, the bytes are not fetched again.
  assert.equal((await cache.blob('other/app', d, { bodyless: false }))?.size, blob.length);
  assert.equal(upstream.count(`HEAD blob other/app`), 1);
  assert.equal(upstream.count('GET blob'), 1);
  assert.ok(await storage.repos.hasBlobLink('other/app', d));
});
