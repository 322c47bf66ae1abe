/** The image store's leases, discard and addAll, against real stores in a temporary directory. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../state/index.js';
import { ContentStore } from '../content/index.js';
import { Snapshotter } from '../snapshots/index.js';
import { sha256Digest, type Digest } from '../util/digest.js';
import { Logger } from '../util/log.js';
import { parseReference, withDefaultTag } from '../util/reference.js';
import { chainIds } from './chain-id.js';
import { ImageStore, type NewImage } from './image-store.js';
import { mediaTypes } from './oci-types.js';

let dir: string;
let content: ContentStore;
let snapshots: Snapshotter;
let store: ImageStore;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  const db = openDatabase(join(dir, 'state.db'));
  content = new ContentStore(join(dir, 'content'));
  await content.init();
  snapshots = new Snapshotter(join(dir, 'snapshots'), db, { mount: async () => {}, umount: async () => {} }, Logger.silent());
  await snapshots.init();
  store = new ImageStore(db, content, snapshots, async () => ({ diffId: sha256Digest(''), size: 0 }), Logger.silent());
  store.init();
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A one-layer image whose layer blob is stored and unpacked (an empty snapshot). */
async function image(name: string, unpack = true): Promise<NewImage> {
  const blob = await content.writeBlob(`layer of ${name}`);
  if (unpack) await snapshots.ensureCommitted(blob.digest, null, async () => {});
  return {
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [blob.digest] }, config: { Cmd: [name] } },
    configBytes: Buffer.from(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["${blob.digest}"]},"config":{"Cmd":["${name}"]}}`),
    layers: [{ digest: blob.digest, diffId: blob.digest, mediaType: mediaTypes.ociLayer, size: blob.size }],
    refs: [withDefaultTag(parseReference(name))],
  };
}

test('configBytes are stored as given: their digest is the image id', async () => {
  const img = await image('exact');
  const rec = await store.add(img);
  assert.equal(rec.id, sha256Digest(img.configBytes!));
  assert.deepEqual(await content.readBytes(rec.id), img.configBytes);
});

test('addAll stores every image or none', async () => {
  const a = await image('first:1');
  const b = await image('second:1', false);
  await assert.rejects(store.addAll([a, b]), /is not unpacked/);
  assert.equal(store.tryResolve('first:1'), undefined, 'the first image is not half-stored');
  const c = await image('second:1');
  const [ra, rc] = await store.addAll([a, c]);
  assert.equal(store.resolve('first:1').id, ra!.id);
  assert.equal(store.resolve('second:1').id, rc!.id);
});

test('gc leaves leased blobs and snapshots alone; discard removes only what nothing else uses', async () => {
  const lease = store.protect();
  const loose = await content.writeBlob('stored by work in progress');
  lease.blobs.add(loose.digest);
  await snapshots.ensureCommitted('sha256:' + 'e'.repeat(64), null, async () => {});
  lease.snapshots.add('sha256:' + 'e'.repeat(64));
  const used = store.resolve('exact');
  lease.blobs.add(used.layers[0]!.digest);
  const garbage = await content.writeBlob('nobody holds this');
  const r = await store.gc(new Set());
  assert.equal(r.blobs, 1);
  assert.ok(!(await content.has(garbage.digest)), 'an unleased, unreferenced blob goes');
  assert.ok(await content.has(loose.digest), 'a leased blob survives gc');
  assert.ok(snapshots.has('sha256:' + 'e'.repeat(64)), 'a leased snapshot survives gc');

  const other = store.protect();
  other.blobs.add(loose.digest);
  await store.discard(lease, new Set());
  assert.ok(await content.has(loose.digest), 'another lease still holds it');
  assert.ok(!snapshots.has('sha256:' + 'e'.repeat(64)), 'discard removed the snapshot only it held');
  assert.ok(await content.has(used.layers[0]!.digest), 'discard keeps what an image references');
  await store.discard(other, new Set());
  assert.ok(!(await content.has(loose.digest)));
  // Released leases protect nothing.
  await snapshots.ensureCommitted('sha256:' + 'f'.repeat(64), null, async () => {});
  const l3 = store.protect();
  l3.snapshots.add('sha256:' + 'f'.repeat(64));
  l3.release();
  await store.gc(new Set());
  assert.ok(!snapshots.has('sha256:' + 'f'.repeat(64)));
  assert.deepEqual(chainIds(used.layers.map((l) => l.diffId)), [used.layers[0]!.diffId as Digest]);
});
