import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { mediaTypes } from '../../distribution/index.js';
import { sha256Digest } from '../../util/digest.js';
import { NotFoundError } from '../../util/errors.js';
import { parseReference } from '../../util/reference.js';
import { compress, harness, publish, recorder, tarBytes, type Harness } from './distribution-test-support.js';

/** A local (imported) image: one uncompressed layer blob whose digest is its diff id. */
async function localImage(h: Harness, name: string, files: Record<string, string>): Promise<string> {
  const tar = await tarBytes(Object.entries(files).map(([n, c]) => ({ name: n, type: 'file' as const, content: c })));
  const blob = await h.content.writeBlob(tar);
  await h.snapshots.ensureCommitted(blob.digest, null, async (dir) => {
    const { writeFileSync } = await import('node:fs');
    for (const [n, c] of Object.entries(files)) writeFileSync(`${dir}/${n}`, c);
  });
  const img = await h.store.add({
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [blob.digest] } },
    layers: [{ digest: blob.digest, mediaType: mediaTypes.ociLayer, size: blob.size, diffId: blob.digest }],
    refs: [parseReference(name)],
  });
  return img.id;
}

test('push of a local image: gzip once, Docker schema 2 manifest, messages, RepoDigest; a second push skips', async () => {
  const h = await harness();
  try {
    const id = await localImage(h, 'localhost:5000/team/app:v1', { hello: 'world\n' });
    const rec = recorder();
    const [res] = await h.service.push({ image: 'localhost:5000/team/app', tag: 'v1', out: rec.out });
    const img = h.store.get(id as never)!;
    const layer = img.layers[0]!;
    const shortDiff = layer.diffId.slice(7, 19);
    assert.equal(img.manifestOrigin, 'engine');
    assert.equal(layer.mediaType, mediaTypes.dockerLayerGzip);
    assert.equal(sha256Digest(gunzipSync(await h.content.readBytes(layer.digest))), layer.diffId);
    const manifest = h.registry.manifests.get('localhost:5000/team/app')!.get('v1')!;
    assert.equal(manifest.mediaType, mediaTypes.dockerManifest);
    const m = JSON.parse(manifest.bytes.toString());
    assert.equal(m.config.mediaType, mediaTypes.dockerConfig);
    assert.equal(m.config.digest, id);
    assert.deepEqual(m.layers, [{ mediaType: mediaTypes.dockerLayerGzip, digest: layer.digest, size: layer.size }]);
    assert.equal(res!.digest, sha256Digest(manifest.bytes));
    assert.deepEqual(rec.lines, [
      'The push refers to repository [localhost:5000/team/app]',
      `${shortDiff}: Preparing`,
      ...rec.lines.filter((l) => l.startsWith(`${shortDiff}: Pushing `)),
      `${shortDiff}: Pushed`,
      `v1: digest: ${res!.digest} size: ${manifest.bytes.length}`,
    ]);
    assert.ok(rec.lines.some((l) => l.startsWith(`${shortDiff}: Pushing `)));
    assert.deepEqual(rec.aux, [{ Tag: 'v1', Digest: res!.digest, Size: manifest.bytes.length }]);
    assert.ok(h.store.refsOf(img.id).includes(`localhost:5000/team/app@${res!.digest}`));
    assert.equal(h.events.filter((e) => e.Action === 'push')[0]?.Actor.ID, 'localhost:5000/team/app:v1');

    // Pushing again sends the same manifest, skips the layer, compresses nothing.
    const again = recorder();
    const [res2] = await h.service.push({ image: 'localhost:5000/team/app:v1', out: again.out });
    assert.equal(res2!.digest, res!.digest);
    assert.ok(again.lines.includes(`${shortDiff}: Layer already exists`));
    assert.equal(h.store.get(id as never)!.layers[0]!.digest, layer.digest);
  } finally {
    h.close();
  }
});

test('a blob known in another repository of the registry is mounted, not uploaded', async () => {
  const h = await harness();
  try {
    const id = await localImage(h, 'localhost:5000/one:latest', { a: '1' });
    await h.service.push({ image: 'localhost:5000/one', tag: 'latest', out: recorder().out });
    h.store.tag(id as never, 'localhost:5000/group/two:latest');
    const rec = recorder();
    await h.service.push({ image: 'localhost:5000/group/two', tag: 'latest', out: rec.out });
    const diff = h.store.get(id as never)!.layers[0]!.diffId.slice(7, 19);
    assert.ok(rec.lines.includes(`${diff}: Mounted from one`), rec.lines.join('\n'));
    assert.equal(h.registry.pushes.filter((p) => p.repo === 'localhost:5000/group/two' && p.result === 'mounted').length, 1);
  } finally {
    h.close();
  }
});

test('a pulled image is pushed with its manifest bytes unchanged, to any registry', async () => {
  const h = await harness();
  try {
    const layers = [compress(await tarBytes([{ name: 'f', type: 'file', content: 'x' }]), 'zstd', true)];
    const pub = publish(h.registry, 'src.example:5000/app', layers, { oci: true, tags: ['1'] });
    await h.service.pull({ image: 'src.example:5000/app:1', out: recorder().out });
    h.store.tag(pub.configDigest, 'dst.example:5000/copy:1');
    const [res] = await h.service.push({ image: 'dst.example:5000/copy:1', out: recorder().out });
    assert.equal(res!.digest, pub.manifestDigest);
    assert.deepEqual(h.registry.manifests.get('dst.example:5000/copy')!.get('1')!.bytes, pub.manifestBytes);
    assert.deepEqual(h.registry.blobs.get('dst.example:5000/copy')!.get(sha256Digest(layers[0]!.blob)), layers[0]!.blob);
  } finally {
    h.close();
  }
});

test('push --all-tags pushes every tag of the repository; missing names and tags are refused as Docker does', async () => {
  const h = await harness();
  try {
    const a = await localImage(h, 'localhost:5000/multi:a', { a: 'a' });
    await localImage(h, 'localhost:5000/multi:b', { b: 'b' });
    h.store.tag(a as never, 'localhost:5000/other:z');
    const rec = recorder();
    const results = await h.service.push({ image: 'localhost:5000/multi', out: rec.out });
    assert.deepEqual(results.map((r) => r.tag).sort(), ['a', 'b']);
    assert.deepEqual([...h.registry.manifests.get('localhost:5000/multi')!.keys()].filter((k) => !k.startsWith('sha256:')).sort(), ['a', 'b']);
    assert.equal(rec.lines.filter((l) => l.startsWith('The push refers to')).length, 1);
    await assert.rejects(h.service.push({ image: 'localhost:5000/nothing', out: recorder().out }), (e: unknown) => e instanceof NotFoundError && /An image does not exist locally with the tag: localhost:5000\/nothing/.test((e as Error).message));
    await assert.rejects(h.service.push({ image: 'localhost:5000/multi', tag: 'c', out: recorder().out }), /tag does not exist: localhost:5000\/multi:c/);
    await assert.rejects(h.service.push({ image: `localhost:5000/multi@${a}`, out: recorder().out }), /cannot push a digest reference/);
  } finally {
    h.close();
  }
});
