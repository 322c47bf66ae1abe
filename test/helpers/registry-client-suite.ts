/**
 * One suite of registry client behaviour, run against the reference registry in each setup
 * (plain HTTP, htpasswd over TLS, token auth): pushes blobs and manifests, pulls them back byte
 * for byte, by tag and by digest, HEADs, mounts between repositories, uploads a multi-MB blob in
 * chunks, lists tags, and checks Docker's errors for what is missing.
 */
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { parseReference } from '../../src/util/reference.js';
import { NotFoundError } from '../../src/util/errors.js';
import { sha256Digest } from '../../src/util/digest.js';
import { mediaTypes } from '../../src/distribution/index.js';
import type { RegistryClient, RegistryCredentials } from '../../src/distribution/client/index.js';
import { blobOf, makeImage, makeIndex, opener, readAll } from './oci-content.js';

export interface SuiteSetup {
  host: () => string;
  /** A client with the chunk size the suite needs (1 MiB, so a 5 MiB blob goes in chunks). */
  client: () => RegistryClient;
  creds?: RegistryCredentials;
  /** How many requests with this method and path prefix the registry logged so far (its access log). */
  countRequests: (method: string, pathPrefix: string) => number;
}

export function registryClientSuite(label: string, s: SuiteSetup): void {
  const repo = (path: string) => s.client().repository(parseReference(`${s.host()}/${path}`), s.creds);

  test(`${label}: push blobs and a manifest, pull them back byte for byte by tag and by digest`, async () => {
    const img = makeImage([300_000, 50_000]);
    const r = repo('suite/app');
    for (const b of [...img.layers, img.config]) assert.equal(await r.pushBlob(b.desc, opener(b.bytes).open), 'uploaded');
    assert.equal(await r.pushBlob(img.layers[0]!.desc, opener(img.layers[0]!.bytes).open), 'exists');
    const digest = await r.putManifest('v1', img.manifest, img.manifestType);
    assert.equal(digest, img.manifestDesc.digest);

    const byTag = await r.getManifest('v1');
    assert.ok(byTag.bytes.equals(img.manifest));
    assert.equal(byTag.digest, img.manifestDesc.digest);
    assert.equal(byTag.mediaType, mediaTypes.ociManifest);
    assert.equal(byTag.parsed.kind, 'image');
    const byDigest = await r.getManifest(digest);
    assert.ok(byDigest.bytes.equals(img.manifest));

    assert.deepEqual(await r.headManifest('v1'), img.manifestDesc);
    assert.deepEqual(await r.headManifest(digest), img.manifestDesc);
    assert.equal(await r.headManifest('nope'), undefined);

    for (const b of [...img.layers, img.config]) {
      assert.equal(await r.statBlob(b.desc.digest), b.bytes.length);
      const got = await readAll(r.fetchBlob(b.desc));
      assert.ok(got.equals(b.bytes), `blob ${b.desc.digest} round-trips`);
    }
    assert.equal(await r.statBlob(sha256Digest('absent')), undefined);
    const absent = { mediaType: mediaTypes.ociLayerGzip, digest: sha256Digest('absent'), size: 6 };
    await assert.rejects(readAll(r.fetchBlob(absent)), (e: Error) => {
      assert.ok(e instanceof NotFoundError);
      assert.ok(e.message.startsWith(`blob ${absent.digest} not found in ${s.host()}/suite/app: blob unknown: `), e.message);
      return true;
    });
  });

  test(`${label}: Docker schema 2 manifests and an index round-trip, manifests pushed by digest`, async () => {
    const a = makeImage([1000], 'docker', 'a');
    const b = makeImage([2000], 'oci', 'b');
    const r = repo('suite/multi');
    for (const img of [a, b]) {
      for (const bl of [...img.layers, img.config]) await r.pushBlob(bl.desc, opener(bl.bytes).open);
      assert.equal(await r.putManifest(img.manifestDesc.digest, img.manifest, img.manifestType), img.manifestDesc.digest);
    }
    const index = makeIndex([
      { desc: a.manifestDesc, platform: { os: 'linux', architecture: 'amd64' } },
      { desc: b.manifestDesc, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    await r.putManifest('multi', index.bytes, mediaTypes.ociIndex);
    const got = await r.getManifest('multi');
    assert.equal(got.parsed.kind, 'index');
    assert.ok(got.bytes.equals(index.bytes));
    const docker = await r.getManifest(a.manifestDesc.digest);
    assert.equal(docker.mediaType, mediaTypes.dockerManifest);
    assert.ok(docker.bytes.equals(a.manifest));
  });

  test(`${label}: cross-repository mount, and a push whose mount source lacks the blob uploads it`, async () => {
    const layer = blobOf(Buffer.from('mount me '.repeat(5000)), mediaTypes.ociLayerGzip);
    const src = repo('suite/mount-src');
    const dst = repo('suite/mount-dst');
    await src.pushBlob(layer.desc, opener(layer.bytes).open);
    const o = opener(layer.bytes);
    assert.equal(await dst.pushBlob(layer.desc, o.open, { mountFrom: [`${s.host()}/suite/mount-src`, 'other.example/x'] }), 'mounted');
    assert.equal(o.opened(), 0, 'a mount reads nothing');
    assert.ok((await readAll(dst.fetchBlob(layer.desc))).equals(layer.bytes));

    const fresh = blobOf(Buffer.from('not in the source'), mediaTypes.ociLayerGzip);
    assert.equal(await repo('suite/mount-dst2').pushBlob(fresh.desc, opener(fresh.bytes).open, { mountFrom: ['suite/mount-src'] }), 'uploaded');
    assert.ok((await readAll(repo('suite/mount-dst2').fetchBlob(fresh.desc))).equals(fresh.bytes));
  });

  test(`${label}: a multi-MB blob goes up in chunked PATCHes and comes back intact`, async () => {
    const big = blobOf(randomBytes(5 * 1024 * 1024 + 3), mediaTypes.ociLayer);
    const r = repo('suite/big');
    const before = s.countRequests('PATCH', '/v2/suite/big/blobs/uploads/');
    const progress: number[] = [];
    assert.equal(await r.pushBlob(big.desc, opener(big.bytes).open, { onProgress: (n) => progress.push(n) }), 'uploaded');
    assert.equal(progress.at(-1), big.bytes.length);
    // The access log is written asynchronously; give it a moment.
    let patches = 0;
    for (let i = 0; i < 50 && patches < 6; i++) {
      patches = s.countRequests('PATCH', '/v2/suite/big/blobs/uploads/') - before;
      if (patches < 6) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(patches, 6, '5 MiB + 3 bytes in 1 MiB chunks is six PATCH requests');
    assert.ok((await readAll(r.fetchBlob(big.desc))).equals(big.bytes));
  });

  test(`${label}: many parallel pushes and fetches on one repository`, async () => {
    const blobs = Array.from({ length: 12 }, (_, i) => blobOf(Buffer.from(`parallel ${i} `.repeat(20_000)), mediaTypes.ociLayerGzip));
    const r = repo('suite/parallel');
    const results = await Promise.all(blobs.map((b) => r.pushBlob(b.desc, opener(b.bytes).open)));
    assert.deepEqual(results, blobs.map(() => 'uploaded'));
    const back = await Promise.all(blobs.map((b) => readAll(r.fetchBlob(b.desc))));
    back.forEach((got, i) => assert.ok(got.equals(blobs[i]!.bytes)));
  });

  test(`${label}: list tags, and Docker's errors for a missing manifest and repository`, async () => {
    const img = makeImage([10]);
    const r = repo('suite/tags');
    for (const b of [...img.layers, img.config]) await r.pushBlob(b.desc, opener(b.bytes).open);
    for (const t of ['b', 'a', 'c']) await r.putManifest(t, img.manifest, img.manifestType);
    assert.deepEqual((await r.listTags()).sort(), ['a', 'b', 'c']);

    await assert.rejects(r.getManifest('missing'), (e: Error) => {
      assert.ok(e instanceof NotFoundError);
      assert.ok(e.message.startsWith(`manifest for ${s.host()}/suite/tags:missing not found: manifest unknown: `), e.message);
      return true;
    });
    await assert.rejects(repo('suite/never-pushed').listTags(), (e: Error) => {
      assert.ok(e instanceof NotFoundError);
      assert.ok(e.message.startsWith(`repository ${s.host()}/suite/never-pushed not found: name unknown: `), e.message);
      return true;
    });
  });
}
