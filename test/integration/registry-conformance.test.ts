/**
 * The OCI distribution-spec conformance scenarios (pull, push, content discovery, content
 * management), written here from the spec against a real `berth registry serve` process.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest } from '../../src/util/digest.js';
import { mediaTypes } from '../../src/distribution/index.js';
import { call, removeDir, startRegistry, type RegistryProcess } from '../helpers/registry-process.js';

let reg: RegistryProcess;
const repo = 'conformance/repo1';
const repo2 = 'conformance/repo2';

test.before(async () => {
  reg = await startRegistry({ args: ['--delete-enabled'] });
});
test.after(async () => {
  await reg?.stop();
  if (reg) removeDir(reg.root);
});

const u = (path: string) => `${reg.url}${path}`;

const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
const layerA = Buffer.from('layer A '.repeat(1000));
const layerB = Buffer.from('layer B, pushed in chunks '.repeat(500));
const d = (b: Buffer) => sha256Digest(b);

function manifestOf(cfg: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: d(cfg), size: cfg.length },
      layers: layers.map((l) => ({ mediaType: mediaTypes.ociLayer, digest: d(l), size: l.length })),
      ...extra,
    }),
  );
}

async function pushBlob(name: string, bytes: Buffer): Promise<void> {
  const r = await call(u(`/v2/${name}/blobs/uploads/?digest=${d(bytes)}`), { method: 'POST', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(r.status, 201);
}

async function putManifest(name: string, ref: string, bytes: Buffer, type: string = mediaTypes.ociManifest) {
  return call(u(`/v2/${name}/manifests/${ref}`), { method: 'PUT', body: bytes, headers: { 'Content-Type': type } });
}

test('determining support: GET /v2/ answers 200 with the API version header', async () => {
  const r = await call(u('/v2/'));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
});

test('push: POST then PUT (monolithic), with Location and the digest', async () => {
  const post = await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
  assert.equal(post.status, 202);
  const loc = post.headers.get('location')!;
  assert.match(loc, /^\/v2\/conformance\/repo1\/blobs\/uploads\/[0-9a-f]{32}$/);
  assert.equal(post.headers.get('range'), '0-0');
  const put = await call(u(`${loc}?digest=${d(config)}`), { method: 'PUT', body: config, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('location'), `/v2/${repo}/blobs/${d(config)}`);
  assert.equal(put.headers.get('docker-content-digest'), d(config));
});

test('push: a single POST with ?digest= and the body', async () => {
  await pushBlob(repo, layerA);
  const head = await call(u(`/v2/${repo}/blobs/${d(layerA)}`), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(layerA.length));
  assert.equal(head.headers.get('docker-content-digest'), d(layerA));
});

test('push: chunked PATCHes in order, status in between, out-of-order chunk 416, closing PUT', async () => {
  const post = await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST', headers: { 'Content-Length': '0' } });
  let loc = post.headers.get('location')!;
  const half = Math.floor(layerB.length / 2);
  const p1 = await call(u(loc), { method: 'PATCH', body: layerB.subarray(0, half), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${half - 1}` } });
  assert.equal(p1.status, 202);
  assert.equal(p1.headers.get('range'), `0-${half - 1}`);
  loc = p1.headers.get('location')!;
  // A chunk that does not start where the last ended.
  const bad = await call(u(loc), { method: 'PATCH', body: layerB.subarray(half + 1), headers: { 'Content-Range': `${half + 1}-${layerB.length - 1}` } });
  assert.equal(bad.status, 416);
  assert.equal(bad.json.errors[0].code, 'RANGE_INVALID');
  const status = await call(u(loc));
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), `0-${half - 1}`);
  assert.equal(status.headers.get('location'), loc);
  const p2 = await call(u(loc), { method: 'PATCH', body: layerB.subarray(half), headers: { 'Content-Range': `${half}-${layerB.length - 1}` } });
  assert.equal(p2.status, 202);
  const put = await call(u(`${p2.headers.get('location')}?digest=${d(layerB)}`), { method: 'PUT' });
  assert.equal(put.status, 201);
  const get = await call(u(`/v2/${repo}/blobs/${d(layerB)}`));
  assert.deepEqual(get.body, layerB);
});

test('push: the last chunk may come with the closing PUT; a zero-byte blob works', async () => {
  const post = await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
  const blob = Buffer.from('final chunk in the PUT');
  const put = await call(u(`${post.headers.get('location')}?digest=${d(blob)}`), { method: 'PUT', body: blob, headers: { 'Content-Range': `0-${blob.length - 1}` } });
  assert.equal(put.status, 201);
  const empty = Buffer.alloc(0);
  await pushBlob(repo, empty);
  const head = await call(u(`/v2/${repo}/blobs/${d(empty)}`), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '0');
});

test('push: cancel an upload, after which it is unknown', async () => {
  const post = await call(u(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
  const loc = post.headers.get('location')!;
  assert.equal((await call(u(loc), { method: 'DELETE' })).status, 204);
  const status = await call(u(loc));
  assert.equal(status.status, 404);
  assert.equal(status.json.errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
});

test('push: cross-repository mount answers 201 when the blob is there, else starts an upload (202)', async () => {
  const m = await call(u(`/v2/${repo2}/blobs/uploads/?mount=${d(layerA)}&from=${repo}`), { method: 'POST' });
  assert.equal(m.status, 201);
  assert.equal(m.headers.get('location'), `/v2/${repo2}/blobs/${d(layerA)}`);
  assert.equal(m.headers.get('docker-content-digest'), d(layerA));
  assert.equal((await call(u(`/v2/${repo2}/blobs/${d(layerA)}`), { method: 'HEAD' })).status, 200);
  const missing = sha256Digest('not anywhere');
  const f = await call(u(`/v2/${repo2}/blobs/uploads/?mount=${missing}&from=${repo}`), { method: 'POST' });
  assert.equal(f.status, 202);
  assert.match(f.headers.get('location')!, /\/blobs\/uploads\/[0-9a-f]{32}$/);
  // A blob of repo1 only is not visible in repo2 until mounted.
  assert.equal((await call(u(`/v2/${repo2}/blobs/${d(layerB)}`), { method: 'HEAD' })).status, 404);
});

test('push: manifests by tag and by digest; a missing reference is MANIFEST_BLOB_UNKNOWN', async () => {
  const m = manifestOf(config, [layerA, layerB]);
  const put = await putManifest(repo, 'tagtest0', m);
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('docker-content-digest'), d(m));
  assert.equal(put.headers.get('location'), `/v2/${repo}/manifests/${d(m)}`);
  const m2 = manifestOf(config, [layerA]);
  const byDigest = await putManifest(repo, d(m2), m2);
  assert.equal(byDigest.status, 201);
  // repo2 has layerA (mounted) but not config: refused.
  const refused = await putManifest(repo2, 'x', m2);
  assert.equal(refused.status, 400);
  assert.equal(refused.json.errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
  assert.equal(refused.json.errors[0].detail.digest, d(config));
  // Tags in the query of a push by digest (OCI-Tag).
  const tagged = await call(u(`/v2/${repo}/manifests/${d(m2)}?tag=qp1&tag=qp2`), { method: 'PUT', body: m2, headers: { 'Content-Type': mediaTypes.ociManifest } });
  assert.equal(tagged.status, 201);
  assert.match(tagged.headers.get('oci-tag') ?? '', /qp1.*qp2/);
});

test('push: an index of pushed manifests is accepted, and one naming an unpushed manifest is not', async () => {
  const m = manifestOf(config, [layerA, layerB]);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [{ mediaType: mediaTypes.ociManifest, digest: d(m), size: m.length, platform: { architecture: 'amd64', os: 'linux' } }] }));
  assert.equal((await putManifest(repo, 'index', index, mediaTypes.ociIndex)).status, 201);
  const ghost = Buffer.from('{"ghost":1}');
  const bad = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [{ mediaType: mediaTypes.ociManifest, digest: d(ghost), size: ghost.length }] }));
  const r = await putManifest(repo, 'badindex', bad, mediaTypes.ociIndex);
  assert.equal(r.json.errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
  // Docker schema 2 and manifest lists are answered as what they are.
  const docker = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config: { mediaType: mediaTypes.dockerConfig, digest: d(config), size: config.length }, layers: [{ mediaType: mediaTypes.dockerLayerGzip, digest: d(layerA), size: layerA.length }] }));
  assert.equal((await putManifest(repo, 'docker', docker, mediaTypes.dockerManifest)).status, 201);
  const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.dockerManifestList, manifests: [{ mediaType: mediaTypes.dockerManifest, digest: d(docker), size: docker.length, platform: { architecture: 'amd64', os: 'linux' } }] }));
  assert.equal((await putManifest(repo, 'list', list, mediaTypes.dockerManifestList)).status, 201);
  for (const [tag, type] of [['docker', mediaTypes.dockerManifest], ['list', mediaTypes.dockerManifestList], ['index', mediaTypes.ociIndex]] as const) {
    const g = await call(u(`/v2/${repo}/manifests/${tag}`), { headers: { Accept: [mediaTypes.dockerManifestList, mediaTypes.dockerManifest, mediaTypes.ociIndex, mediaTypes.ociManifest].join(', ') } });
    assert.equal(g.status, 200);
    assert.equal(g.headers.get('content-type'), type);
  }
});

test('pull: manifests by tag and digest (GET and HEAD), blobs, ranges, and 404s', async () => {
  const m = manifestOf(config, [layerA, layerB]);
  for (const ref of ['tagtest0', d(m)]) {
    const g = await call(u(`/v2/${repo}/manifests/${ref}`), { headers: { Accept: mediaTypes.ociManifest } });
    assert.equal(g.status, 200);
    assert.deepEqual(g.body, m);
    assert.equal(g.headers.get('docker-content-digest'), d(m));
    const h = await call(u(`/v2/${repo}/manifests/${ref}`), { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('content-length'), String(m.length));
    assert.equal(h.body.length, 0);
  }
  const none = await call(u(`/v2/${repo}/manifests/nonexistent`));
  assert.equal(none.status, 404);
  assert.equal(none.json.errors[0].code, 'MANIFEST_UNKNOWN');
  const noBlob = await call(u(`/v2/${repo}/blobs/${sha256Digest('nope')}`));
  assert.equal(noBlob.status, 404);
  assert.equal(noBlob.json.errors[0].code, 'BLOB_UNKNOWN');
  const blob = await call(u(`/v2/${repo}/blobs/${d(layerA)}`));
  assert.deepEqual(blob.body, layerA);
  const part = await call(u(`/v2/${repo}/blobs/${d(layerA)}`), { headers: { Range: 'bytes=10-19' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 10-19/${layerA.length}`);
  assert.deepEqual(part.body, layerA.subarray(10, 20));
  const past = await call(u(`/v2/${repo}/blobs/${d(layerA)}`), { headers: { Range: `bytes=${layerA.length}-` } });
  assert.equal(past.status, 416);
});

test('discovery: tags list in order, with n/last pagination and Link headers', async () => {
  const m = manifestOf(config, [layerA]);
  for (const t of ['b', 'a', 'c', 'd']) assert.equal((await putManifest(repo, `page-${t}`, m)).status, 201);
  const all = await call(u(`/v2/${repo}/tags/list`));
  assert.equal(all.json.name, repo);
  assert.deepEqual(all.json.tags, [...all.json.tags].sort());
  assert.ok(all.json.tags.includes('page-a'));
  const first = await call(u(`/v2/${repo}/tags/list?n=2`));
  assert.equal(first.json.tags.length, 2);
  assert.match(first.headers.get('link')!, /^<\/v2\/conformance\/repo1\/tags\/list\?n=2&last=[^>]+>; rel="next"$/);
  const next = await call(u(first.headers.get('link')!.slice(1, first.headers.get('link')!.indexOf('>'))));
  assert.equal(next.json.tags[0] > first.json.tags[1], true);
  const after = await call(u(`/v2/${repo}/tags/list?n=2&last=page-b`));
  assert.deepEqual(after.json.tags, ['page-c', 'page-d']);
  const zero = await call(u(`/v2/${repo}/tags/list?n=0`));
  assert.deepEqual(zero.json.tags, []);
  assert.equal(zero.headers.get('link'), null);
  const unknown = await call(u('/v2/no/such/repo/tags/list'));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.errors[0].code, 'NAME_UNKNOWN');
  const cat = await call(u('/v2/_catalog?n=1'));
  assert.deepEqual(cat.json.repositories, ['conformance/repo1']);
  assert.match(cat.headers.get('link')!, /last=conformance%2Frepo1/);
});

test('discovery: referrers of a subject, the artifactType filter, OCI-Subject on push', async () => {
  const subject = manifestOf(config, [layerA]);
  const emptyConfig = Buffer.from('{}');
  await pushBlob(repo, emptyConfig);
  const artifact = (type: string, note: string) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        artifactType: type,
        config: { mediaType: mediaTypes.ociEmpty, digest: d(emptyConfig), size: emptyConfig.length },
        layers: [],
        subject: { mediaType: mediaTypes.ociManifest, digest: d(subject), size: subject.length },
        annotations: { note },
      }),
    );
  const sbom = artifact('application/vnd.example.sbom', 'sbom');
  const sig = artifact('application/vnd.example.sig', 'sig');
  for (const a of [sbom, sig]) {
    const r = await putManifest(repo, d(a), a);
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('oci-subject'), d(subject));
  }
  const all = await call(u(`/v2/${repo}/referrers/${d(subject)}`));
  assert.equal(all.status, 200);
  assert.equal(all.headers.get('content-type'), mediaTypes.ociIndex);
  assert.equal(all.json.mediaType, mediaTypes.ociIndex);
  assert.deepEqual(all.json.manifests.map((x: { digest: string }) => x.digest).sort(), [d(sbom), d(sig)].sort());
  const one = all.json.manifests.find((x: { digest: string }) => x.digest === d(sbom));
  assert.deepEqual(one, { mediaType: mediaTypes.ociManifest, digest: d(sbom), size: sbom.length, artifactType: 'application/vnd.example.sbom', annotations: { note: 'sbom' } });
  const filtered = await call(u(`/v2/${repo}/referrers/${d(subject)}?artifactType=application/vnd.example.sig`));
  assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  assert.deepEqual(filtered.json.manifests.map((x: { digest: string }) => x.digest), [d(sig)]);
  // A subject that was never pushed is fine, and a digest without referrers gives an empty index, not 404.
  const orphan = artifact('application/vnd.example.sbom', 'orphan');
  const orphanJson = JSON.parse(orphan.toString());
  orphanJson.subject.digest = sha256Digest('missing subject');
  const o = Buffer.from(JSON.stringify(orphanJson));
  assert.equal((await putManifest(repo, d(o), o)).status, 201);
  const empty = await call(u(`/v2/${repo}/referrers/${sha256Digest('nothing refers')}`));
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.json.manifests, []);
  const badDigest = await call(u(`/v2/${repo}/referrers/sha256:xyz`));
  assert.equal(badDigest.status, 400);
  // Deleting a referrer takes it out of the list.
  assert.equal((await call(u(`/v2/${repo}/manifests/${d(sig)}`), { method: 'DELETE' })).status, 202);
  const after = await call(u(`/v2/${repo}/referrers/${d(subject)}`));
  assert.deepEqual(after.json.manifests.map((x: { digest: string }) => x.digest), [d(sbom)]);
});

test('management: delete a tag, a manifest by digest, and a blob; each is gone after', async () => {
  const m = manifestOf(config, [layerA, layerB]);
  assert.equal((await putManifest(repo, 'to-delete', m)).status, 201);
  assert.equal((await call(u(`/v2/${repo}/manifests/to-delete`), { method: 'DELETE' })).status, 202);
  assert.equal((await call(u(`/v2/${repo}/manifests/to-delete`))).status, 404);
  assert.equal((await call(u(`/v2/${repo}/manifests/${d(m)}`))).status, 200, 'deleting a tag keeps the manifest');
  assert.equal((await call(u(`/v2/${repo}/manifests/${d(m)}`), { method: 'DELETE' })).status, 202);
  assert.equal((await call(u(`/v2/${repo}/manifests/${d(m)}`))).status, 404);
  assert.equal((await call(u(`/v2/${repo}/manifests/tagtest0`))).status, 404, 'its tags went with it');
  assert.equal((await call(u(`/v2/${repo}/manifests/${d(m)}`), { method: 'DELETE' })).status, 404);
  assert.equal((await call(u(`/v2/${repo}/blobs/${d(layerB)}`), { method: 'DELETE' })).status, 202);
  assert.equal((await call(u(`/v2/${repo}/blobs/${d(layerB)}`))).status, 404);
  const again = await call(u(`/v2/${repo}/blobs/${d(layerB)}`), { method: 'DELETE' });
  assert.equal(again.status, 404);
  assert.equal(again.json.errors[0].code, 'BLOB_UNKNOWN');
});
