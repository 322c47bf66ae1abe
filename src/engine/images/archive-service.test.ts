/**
 * ArchiveService against real stores in a temporary directory (content store, snapshots on
 * plain directories, SQLite), with the safe tar extractor as the unpacker: load and save in both
 * formats, and store-unchanged checks after each refused archive.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openDatabase } from '../../state/index.js';
import { ContentStore } from '../../content/index.js';
import { Snapshotter } from '../../snapshots/index.js';
import { ImageStore, chainIds, type LayerUnpacker } from '../../images/index.js';
import { dockerArchiveOf, fixtureImage, ociArchiveOf, type FixtureImage } from '../../images/archive/archive-fixtures.js';
import { applyLayer } from '../../util/tar/index.js';
import { bytesOf, streamOf, tarOf, type FixtureEntry } from '../../util/tar/layer-fixtures.js';
import { sha256Digest } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { Logger } from '../../util/log.js';
import { EventBus } from '../events.js';
import { ContainerStore } from '../container-store.js';
import { ArchiveService } from './archive-service.js';
import { decompressedStream } from './decompress.js';

let dir: string;
let store: ImageStore;
let content: ContentStore;
let snapshots: Snapshotter;
let events: EventBus;
let svc: ArchiveService;

const unpack: LayerUnpacker = async (blob, _mediaType, target) => {
  const r = await applyLayer(await decompressedStream(blob), target, { whiteoutFormat: 'overlay' });
  return { diffId: r.diffId, size: r.size };
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-archive-'));
  const db = openDatabase(join(dir, 'state.db'));
  const log = Logger.silent();
  content = new ContentStore(join(dir, 'content'));
  await content.init();
  snapshots = new Snapshotter(join(dir, 'snapshots'), db, { mount: async () => {}, umount: async () => {} }, log);
  await snapshots.init();
  store = new ImageStore(db, content, snapshots, unpack, log);
  store.init();
  const containers = new ContainerStore(db);
  containers.load();
  events = new EventBus();
  svc = new ArchiveService({ store, content, snapshots, containers, unpack, events, log });
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Everything that makes up the store's state. */
function state(): string {
  const blobs = readdirSync(join(dir, 'content', 'blobs', 'sha256')).sort();
  const snaps = snapshots.keys('committed').sort();
  const images = store.list().map((i) => i.id).sort();
  const refs = store.refs().map((r) => `${r.name}=${r.imageId}`);
  const ingest = readdirSync(join(dir, 'content', 'ingest'));
  return JSON.stringify({ blobs, snaps, images, refs, ingest });
}

const base = await tarOf([
  { header: { name: 'bin/', type: 'directory' } },
  { header: { name: 'bin/sh', mode: 0o755 }, content: '#!shell' },
  { header: { name: 'etc/', type: 'directory' } },
  { header: { name: 'etc/os-release' }, content: 'ID=fixture\n' },
]);
const v1 = await tarOf([{ header: { name: 'app/', type: 'directory' } }, { header: { name: 'app/version' }, content: 'v1\n' }]);
const v2 = await tarOf([{ header: { name: 'app/', type: 'directory' } }, { header: { name: 'app/version' }, content: 'v2\n' }]);

async function load(archive: Buffer, onProgress?: (p: { id: string; current: number; total: number }) => void) {
  return svc.load(streamOf(archive), onProgress ? { onProgress } : {});
}

function fileIn(img: FixtureImage, layer: number, path: string): string {
  const key = chainIds(img.layers.map((l) => l.diffId))[layer]!;
  return readFileSync(join(snapshots.dir(key), path), 'utf8');
}

test('load of a docker save archive stores every image, tag and layer; the report reads as Docker', async () => {
  const a = fixtureImage({ layers: [base, v1], tags: ['app:1', 'app:latest'] });
  const b = fixtureImage({ layers: [base, v2], tags: ['app:2'] });
  const untagged = fixtureImage({ layers: [base], cmd: ['true'] });
  const progress: string[] = [];
  const seen: string[] = [];
  const off = events.subscribe((e) => seen.push(`${e.Action} ${e.Actor.ID}`));
  const r = await load(await dockerArchiveOf([a, b, untagged]), (p) => progress.push(`${p.id} ${p.current}/${p.total}`));
  off();
  assert.deepEqual(r.lines, ['Loaded image: app:1', 'Loaded image: app:latest', 'Loaded image: app:2', `Loaded image ID: ${untagged.id}`]);
  assert.deepEqual(r.images.map((i) => i.id), [a.id, b.id, untagged.id]);
  assert.equal(store.resolve('app:1').id, a.id);
  assert.equal(store.resolve('app:2').id, b.id);
  assert.deepEqual(store.resolve(a.id).config.rootfs.diff_ids, a.config.rootfs.diff_ids);
  assert.equal(fileIn(a, 1, 'app/version'), 'v1\n');
  assert.equal(fileIn(b, 1, 'app/version'), 'v2\n');
  assert.equal(fileIn(a, 0, 'etc/os-release'), 'ID=fixture\n');
  assert.deepEqual(seen, [`load ${a.id}`, `load ${b.id}`, `load ${untagged.id}`]);
  assert.ok(progress.some((p) => p.startsWith(a.config.rootfs.diff_ids[0]!.slice(7, 19))), 'progress names layers by their diff id');
  // Only what images reference stays: no manifest.json, json or VERSION files as blobs.
  const blobs = readdirSync(join(dir, 'content', 'blobs', 'sha256'));
  const live = new Set(store.list().flatMap((i) => [i.id, i.manifestDigest!, ...i.layers.map((l) => l.digest)]).map((d) => d.slice(7)));
  assert.deepEqual(blobs.filter((b) => !live.has(b)), []);
});

test('loading again is idempotent; a moved tag is reported as Docker reports it', async () => {
  const a = fixtureImage({ layers: [base, v1], tags: ['app:1', 'app:latest'] });
  const c = fixtureImage({ layers: [base, v2], tags: ['app:latest'], cmd: ['echo'] });
  const before = state();
  await load(await dockerArchiveOf([a]));
  assert.equal(state(), before);
  const r = await load(await dockerArchiveOf([c]));
  assert.deepEqual(r.lines, [`The image app:latest already exists, renaming the old one with ID ${a.id} to empty string`, 'Loaded image: app:latest']);
  assert.equal(store.resolve('app:latest').id, c.id);
  assert.equal(store.resolve('app:1').id, a.id);
});

test('OCI layout: gzip layers are stored as they are and verified against their diff ids', async () => {
  const z = fixtureImage({ layers: [base, v1], tags: ['zipped:1'], gzip: true, cmd: ['gz'] });
  const r = await load(await ociArchiveOf([z]));
  assert.deepEqual(r.lines, ['Loaded image: zipped:1']);
  const rec = store.resolve('zipped:1');
  assert.deepEqual(rec.layers.map((l) => l.digest), z.layers.map((l) => l.digest));
  assert.deepEqual(rec.layers.map((l) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']);
  // A gzip-compressed `docker save` archive loads too, as `docker load` accepts one.
  const plain = fixtureImage({ layers: [v2], tags: ['gz:1'] });
  assert.deepEqual((await load(gzipSync(await dockerArchiveOf([plain])))).lines, ['Loaded image: gz:1']);
});

test('save → load round trip in both formats gives the same images', async () => {
  for (const format of ['docker', 'oci'] as const) {
    const { stream } = await svc.save(['app', 'zipped:1'], format);
    const archive = await bytesOf(stream);
    const ids = ['app:1', 'app:2', 'app:latest', 'zipped:1'].map((t) => store.resolve(t).id);
    for (const t of ['app:1', 'app:2', 'app:latest', 'zipped:1']) store.untag(t);
    const r = await load(archive);
    assert.deepEqual(r.lines.sort(), ['Loaded image: app:1', 'Loaded image: app:2', 'Loaded image: app:latest', 'Loaded image: zipped:1'], format);
    assert.deepEqual(['app:1', 'app:2', 'app:latest', 'zipped:1'].map((t) => store.resolve(t).id), ids, format);
  }
  await assert.rejects(svc.save(['nothere:1'], 'docker'), /No such image: nothere:1/);
  await assert.rejects(svc.save([], 'docker'), /no image to save/);
  await assert.rejects(svc.save(['app:1'], 'tarball' as 'docker'), /unknown archive format "tarball"/);
});

test('save by id or digest writes no tags; a bare repository saves all its tags', async () => {
  const id = store.resolve('app:1').id;
  const byId = await bytesOf((await svc.save([id.slice(7, 19)], 'docker')).stream);
  const manifest = JSON.parse((await entryOf(byId, 'manifest.json')).toString());
  assert.deepEqual(manifest, [{ Config: `${id.slice(7)}.json`, RepoTags: null, Layers: manifest[0].Layers }]);
  const repo = JSON.parse((await entryOf(await bytesOf((await svc.save(['app'], 'docker')).stream), 'manifest.json')).toString()) as Array<{ RepoTags: string[] }>;
  assert.deepEqual(repo.flatMap((m) => m.RepoTags).sort(), ['app:1', 'app:2', 'app:latest']);
});

/** The archive with its first header's size field rewritten (a header promising endless data). */
function withSize(archive: Buffer, size: number): Buffer {
  const b = Buffer.from(archive);
  b.write(size.toString(8).padStart(11, '0') + '\0', 124, 12, 'latin1');
  let sum = 0;
  b.fill(0x20, 148, 156);
  for (let i = 0; i < 512; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

async function entryOf(archive: Buffer, name: string): Promise<Buffer> {
  const tar = (await import('tar-stream')).default;
  const extract = tar.extract();
  streamOf(archive).pipe(extract);
  for await (const e of extract) {
    const data = await bytesOf(e as unknown as import('node:stream').Readable);
    if (e.header.name === name) return data;
  }
  throw new Error(`${name} not in archive`);
}

test('hostile or broken archives are refused and leave the store exactly as it was', async () => {
  const img = fixtureImage({ layers: [base, v1], tags: ['evil:1'] });
  const cfg = `${img.id.slice(7)}.json`;
  const archive = (layers: FixtureEntry[], manifestLayers: string[], tags = ['evil:1']) =>
    tarOf([
      { header: { name: cfg }, content: img.configBytes },
      ...layers,
      { header: { name: 'manifest.json' }, content: JSON.stringify([{ Config: cfg, RepoTags: tags, Layers: manifestLayers }]) },
    ]);
  const escaping = await tarOf([{ header: { name: '../../outside' }, content: 'x' }]);
  const wrongLayer = await tarOf([{ header: { name: 'app/version' }, content: 'tampered\n' }]);
  const ok = [{ header: { name: 'l0/layer.tar' }, content: base }, { header: { name: 'l1/layer.tar' }, content: v1 }];
  const good = await dockerArchiveOf([img]);
  const cases: Array<[Buffer, RegExp]> = [
    [await archive([ok[0]!, { header: { name: 'l1/layer.tar' }, content: wrongLayer }], ['l0/layer.tar', 'l1/layer.tar']), /invalid diffID for layer 1/],
    [await archive([ok[0]!, { header: { name: 'l1/layer.tar' }, content: escaping }], ['l0/layer.tar', 'l1/layer.tar']), /invalid diffID for layer 1|escapes/],
    [await archive([...ok, { header: { name: 'evil', type: 'symlink', linkname: '/etc/passwd' } }], ['l0/layer.tar', 'evil']), /symlink "evil" points at the absolute path/],
    [await archive(ok, ['l0/layer.tar', '../l1/layer.tar']), /escapes the archive/],
    [await archive([{ header: { name: '../x' }, content: 'x' }], []), /entry "\.\.\/x" escapes the archive/],
    [good.subarray(0, good.length - 3000), /invalid archive/],
    [withSize(await tarOf([{ header: { name: 'manifest.json' }, content: '[]' }]), 1 << 30), /manifest\.json is 1073741824 bytes, more than/],
  ];
  for (const [bytes, re] of cases) {
    const before = state();
    await assert.rejects(load(bytes), (err: unknown) => err instanceof InvalidArgumentError && re.test(err.message), String(re));
    assert.equal(state(), before, `store unchanged after ${re}`);
  }
  assert.equal(store.tryResolve('evil:1'), undefined);
  // A layer whose content escapes its root fails while unpacking: nothing of it is kept.
  const escapingImage = fixtureImage({ layers: [escaping], tags: ['evil:2'] });
  const before = state();
  await assert.rejects(load(await dockerArchiveOf([escapingImage])), /escapes the root/);
  assert.equal(state(), before);
  // A second image in the same archive failing keeps the first one out too.
  const fine = fixtureImage({ layers: [v2, v1], tags: ['fine:1'] });
  await assert.rejects(load(await dockerArchiveOf([fine, escapingImage])), /escapes the root/);
  assert.equal(state(), before);
  assert.equal(store.tryResolve('fine:1'), undefined);
});

test('an OCI blob whose bytes do not match its name is refused', async () => {
  const img = fixtureImage({ layers: [v2], tags: ['oci:bad'] });
  const layout = await ociArchiveOf([img]);
  const before = state();
  // Flip one byte inside the layer file's data (the first blob written after oci-layout and the dirs).
  const tampered = Buffer.from(layout);
  const at = tampered.indexOf(Buffer.from('v2\n'));
  tampered[at] = 'x'.charCodeAt(0);
  await assert.rejects(load(tampered), /has the digest sha256:[a-f0-9]+, not the one its name gives/);
  assert.equal(state(), before);
  assert.equal(sha256Digest(v2), img.layers[0]!.diffId);
});
