import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest, type Digest } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { familiarString } from '../../util/reference.js';
import { streamOf, tarOf, type FixtureEntry } from '../../util/tar/layer-fixtures.js';
import { mediaTypes } from '../oci-types.js';
import { readArchive } from './archive-reader.js';
import { planArchive } from './archive-plan.js';
import { dockerArchiveOf, fixtureImage, ociArchiveOf } from './archive-fixtures.js';
import type { ArchiveFile } from './archive-tree.js';

const host = { os: 'linux', architecture: 'amd64' };

async function plan(archive: Buffer) {
  const blobs = new Map<Digest, Buffer>();
  const tree = await readArchive(streamOf(archive), {
    async storeBlob(content) {
      const chunks: Buffer[] = [];
      for await (const c of content) chunks.push(c);
      const b = Buffer.concat(chunks);
      blobs.set(sha256Digest(b), b);
      return { digest: sha256Digest(b), size: b.length };
    },
  });
  const p = await planArchive(tree, { platform: host, readBytes: async (f: ArchiveFile) => f.bytes ?? blobs.get(f.digest)! });
  return { ...p, blobs };
}

const base = await tarOf([{ header: { name: 'bin/', type: 'directory' } }, { header: { name: 'bin/sh' }, content: 'shell' }]);
const app = await tarOf([{ header: { name: 'app' }, content: 'v1' }]);
const app2 = await tarOf([{ header: { name: 'app' }, content: 'v2' }]);

test('docker save format round trip: several images, tags, a shared base layer stored once', async () => {
  const a = fixtureImage({ layers: [base, app], tags: ['app:1', 'app:latest'] });
  const b = fixtureImage({ layers: [base, app2], tags: ['registry.local:5000/team/app:2'] });
  const c = fixtureImage({ layers: [base], cmd: ['true'] });
  const archive = await dockerArchiveOf([a, b, c]);
  const names = (await readArchive(streamOf(archive), { storeBlob: async (s) => { for await (const _ of s); return { digest: sha256Digest(''), size: 0 }; } })).paths();
  assert.ok(names.includes('manifest.json') && names.includes('repositories') && names.includes(`${a.id.slice(7)}.json`));
  assert.equal(names.filter((n) => n.endsWith('/VERSION')).length, names.filter((n) => n.endsWith('/layer.tar')).length);
  const p = await plan(archive);
  assert.equal(p.format, 'docker');
  assert.deepEqual(p.images.map((i) => i.id), [a.id, b.id, c.id]);
  assert.deepEqual(p.images[0]!.tags.map(familiarString), ['app:1', 'app:latest']);
  assert.deepEqual(p.images[1]!.tags.map(familiarString), ['registry.local:5000/team/app:2']);
  assert.deepEqual(p.images[2]!.tags, []);
  for (const [i, img] of p.images.entries()) {
    const want = [a, b, c][i]!;
    assert.deepEqual(img.configBytes, want.configBytes);
    assert.deepEqual(img.layers.map((l) => l.diffId), want.config.rootfs.diff_ids);
    for (const l of img.layers) assert.equal(l.file.digest, l.diffId, 'layer.tar holds the uncompressed layer');
  }
  // The base layer's bytes went to the blob store once, however many images use it.
  assert.equal([...p.blobs.keys()].filter((d) => d === sha256Digest(base)).length, 1);
});

test('docker format: gzip layers are written uncompressed, so layer.tar hashes to the diff id', async () => {
  const z = fixtureImage({ layers: [base, app], tags: ['z:1'], gzip: true });
  const p = await plan(await dockerArchiveOf([z]));
  assert.deepEqual(p.images[0]!.layers.map((l) => l.file.digest), z.config.rootfs.diff_ids);
});

test('OCI layout round trip keeps blobs as stored and names in annotations', async () => {
  const a = fixtureImage({ layers: [base, app], tags: ['app:1', 'other/app:edge'], gzip: true });
  const c = fixtureImage({ layers: [base] });
  const p = await plan(await ociArchiveOf([a, c]));
  assert.equal(p.format, 'oci');
  assert.deepEqual(p.images.map((i) => i.id), [a.id, c.id]);
  assert.deepEqual(p.images[0]!.tags.map(familiarString), ['app:1', 'other/app:edge']);
  assert.deepEqual(p.images[0]!.layers.map((l) => l.file.digest), a.layers.map((l) => l.digest));
  assert.deepEqual(p.images[1]!.tags, []);
  const index = JSON.parse(await indexOf(await ociArchiveOf([a])));
  assert.equal(index.manifests.length, 2);
  assert.deepEqual(index.manifests[0].annotations, { 'io.containerd.image.name': 'docker.io/library/app:1', 'org.opencontainers.image.ref.name': '1' });
  assert.deepEqual(index.manifests[0].platform, { architecture: 'amd64', os: 'linux' });
});

async function indexOf(archive: Buffer): Promise<string> {
  const tree = await readArchive(streamOf(archive), {
    async storeBlob(s) {
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c);
      const b = Buffer.concat(chunks);
      return { digest: sha256Digest(b), size: b.length };
    },
  });
  return tree.file('index.json', 'x').bytes!.toString();
}

/** A layout written by hand: skopeo's style (full reference in ref.name), Docker 25+'s combined one. */
async function layout(opts: { refName?: string; containerdName?: string; withManifestJson?: boolean; badConfigDigest?: boolean }) {
  const img = fixtureImage({ layers: [base, app] });
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: mediaTypes.ociConfig, digest: img.id, size: img.configBytes.length },
    layers: img.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  }));
  const md = sha256Digest(manifest);
  const annotations: Record<string, string> = {};
  if (opts.refName) annotations['org.opencontainers.image.ref.name'] = opts.refName;
  if (opts.containerdName) annotations['io.containerd.image.name'] = opts.containerdName;
  const index = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: mediaTypes.ociManifest, digest: md, size: manifest.length, annotations }] });
  const blob = (d: Digest, content: Buffer): FixtureEntry => ({ header: { name: `blobs/sha256/${d.slice(7)}` }, content });
  const entries: FixtureEntry[] = [
    ...img.layers.map((l) => blob(l.digest, img.blobs.get(l.digest)!)),
    blob(opts.badConfigDigest ? sha256Digest('nope') : img.id, img.configBytes),
    blob(md, manifest),
    { header: { name: 'index.json' }, content: index },
    { header: { name: 'oci-layout' }, content: '{"imageLayoutVersion": "1.0.0"}' },
  ];
  if (opts.withManifestJson) {
    entries.push({ header: { name: 'manifest.json' }, content: JSON.stringify([{ Config: `blobs/sha256/${img.id.slice(7)}`, RepoTags: ['combined:1'], Layers: img.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }]) });
  }
  return { img, archive: await tarOf(entries) };
}

test('OCI names: containerd annotation, a full ref.name, a bare tag (untagged)', async () => {
  const skopeo = await layout({ refName: 'localhost:5000/busybox:v1' });
  assert.deepEqual((await plan(skopeo.archive)).images[0]!.tags.map(familiarString), ['localhost:5000/busybox:v1']);
  const docker25 = await layout({ refName: 'v2', containerdName: 'docker.io/library/busybox:v2' });
  assert.deepEqual((await plan(docker25.archive)).images[0]!.tags.map(familiarString), ['busybox:v2']);
  const bare = await layout({ refName: 'latest' });
  const p = await plan(bare.archive);
  assert.equal(p.images[0]!.id, bare.img.id);
  assert.deepEqual(p.images[0]!.tags, []);
  await assert.rejects(plan((await layout({ refName: 'UPPER/case:x' })).archive), /index\.json names an image "UPPER\/case:x"/);
});

test("Docker 25+'s combined layout is read through manifest.json", async () => {
  const { img, archive } = await layout({ refName: 'ignored', withManifestJson: true });
  const p = await plan(archive);
  assert.equal(p.format, 'docker');
  assert.equal(p.images[0]!.id, img.id);
  assert.deepEqual(p.images[0]!.tags.map(familiarString), ['combined:1']);
});

test('hostile and inconsistent archives are refused with clear errors', async () => {
  const img = fixtureImage({ layers: [base, app], tags: ['x:1'] });
  const cfg = `${img.id.slice(7)}.json`;
  const files = (manifest: unknown, extra: FixtureEntry[] = []): Promise<Buffer> =>
    tarOf([
      { header: { name: cfg }, content: img.configBytes },
      { header: { name: 'l0/layer.tar' }, content: base },
      { header: { name: 'l1/layer.tar' }, content: app },
      ...extra,
      { header: { name: 'manifest.json' }, content: typeof manifest === 'string' ? manifest : JSON.stringify(manifest) },
    ]);
  const item = { Config: cfg, RepoTags: ['x:1'], Layers: ['l0/layer.tar', 'l1/layer.tar'] };
  const cases: Array<[Promise<Buffer>, RegExp]> = [
    [files([{ ...item, Layers: ['../../etc/passwd', 'l1/layer.tar'] }]), /Layers\[0\] "\.\.\/\.\.\/etc\/passwd" escapes the archive/],
    [files([{ ...item, Config: '/etc/passwd' }]), /Config "\/etc\/passwd" is an absolute path/],
    [files([{ ...item, Layers: ['l0/layer.tar', 'lx/layer.tar'] }], [{ header: { name: 'lx/layer.tar', type: 'symlink', linkname: '../../../etc/shadow' } }]), /symlink "lx\/layer\.tar" points outside the archive/],
    [files([{ ...item, Layers: ['l0/layer.tar'] }]), /invalid manifest, layers length mismatch: expected 1, got 2/],
    [files([{ ...item, RepoTags: ['notag'] }]), /invalid tag "notag"/],
    [files([{ ...item, RepoTags: ['Bad:1'] }]), /RepoTags entry "Bad:1"/],
    [files('null'), /manifest cannot be null/],
    [files('{"not": "a list"'), /failed to decode manifest\.json/],
    [files([{ ...item, Config: 'l0/layer.tar' }]), /is not JSON/],
    [tarOf([{ header: { name: 'junk' }, content: 'x' }]), /does not contain a manifest\.json \(docker save\) or an index\.json/],
    [tarOf([{ header: { name: `${sha256Digest('other').slice(7)}.json` }, content: img.configBytes }, { header: { name: 'manifest.json' }, content: JSON.stringify([{ ...item, Config: `${sha256Digest('other').slice(7)}.json` }]) }]), /not the image id its name gives/],
    [layout({ badConfigDigest: true }).then((l) => l.archive), /has the digest sha256:[a-f0-9]+, not the one its name gives|is not in the archive/],
  ];
  for (const [archive, re] of cases) {
    await assert.rejects(plan(await archive), (err: unknown) => err instanceof InvalidArgumentError && re.test(err.message), String(re));
  }
});
