import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, migrate, type Db } from '../state/index.js';
import { ContentStore } from '../content/index.js';
import { Snapshotter } from '../snapshots/index.js';
import { Logger } from '../util/log.js';
import { sha256Digest, type Digest } from '../util/digest.js';
import { parseReference } from '../util/reference.js';
import { chainIds } from './chain-id.js';
import { ImageStore, type LayerRecord } from './image-store.js';
import { mediaTypes, type ImageConfig } from './oci-types.js';

interface Fixture {
  dir: string;
  db: Db;
  content: ContentStore;
  snapshots: Snapshotter;
  store: ImageStore;
}

async function fixture(dir = mkdtempSync(join(tmpdir(), 'berth-images-'))): Promise<Fixture> {
  const db = openDatabase(join(dir, 'state.db'));
  const content = new ContentStore(join(dir, 'content'));
  await content.init();
  const snapshots = new Snapshotter(join(dir, 'snapshots'), db, { mount: async () => {}, umount: async () => {} }, Logger.silent());
  await snapshots.init();
  const store = new ImageStore(db, content, snapshots, async () => ({ diffId: sha256Digest(''), size: 0 }), Logger.silent());
  store.init();
  return { dir, db, content, snapshots, store };
}

/** A stored gzip-ish layer blob with a committed snapshot for its chain. */
async function layer(f: Fixture, name: string, parent: string | null, diffIds: Digest[]): Promise<LayerRecord> {
  const blob = await f.content.writeBlob(`compressed ${name}`);
  const diffId = sha256Digest(`tar ${name}`);
  diffIds.push(diffId);
  const key = chainIds(diffIds).at(-1)!;
  await f.snapshots.ensureCommitted(key, parent, async (d) => writeFileSync(join(d, name), name));
  return { digest: blob.digest, mediaType: mediaTypes.ociLayerGzip, size: blob.size, diffId };
}

function config(diffIds: Digest[]): ImageConfig {
  return { architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z', rootfs: { type: 'layers', diff_ids: diffIds } };
}

test('a pulled image keeps the config and manifest bytes verbatim, with its digest references', async () => {
  const f = await fixture();
  try {
    const diffIds: Digest[] = [];
    const l1 = await layer(f, 'a', null, diffIds);
    const l2 = await layer(f, 'b', chainIds(diffIds)[0]!, diffIds);
    const configBytes = Buffer.from(JSON.stringify(config(diffIds), null, 2));
    const manifestBytes = Buffer.from(
      JSON.stringify(
        {
          schemaVersion: 2,
          mediaType: mediaTypes.dockerManifest,
          config: { mediaType: mediaTypes.dockerConfig, digest: sha256Digest(configBytes), size: configBytes.length },
          layers: [l1, l2].map((l) => ({ mediaType: mediaTypes.dockerLayerGzip, digest: l.digest, size: l.size })),
        },
        null,
        3,
      ),
    );
    const indexDigest = sha256Digest('an index');
    const img = await f.store.add({
      config: JSON.parse(configBytes.toString()),
      configBytes,
      layers: [l1, l2],
      manifest: { bytes: manifestBytes, mediaType: mediaTypes.dockerManifest },
      refs: [parseReference('localhost:5000/app:v1'), parseReference(`localhost:5000/app@${indexDigest}`)],
      size: 1234,
    });
    assert.equal(img.id, sha256Digest(configBytes));
    assert.equal(img.manifestOrigin, 'registry');
    assert.equal(img.manifestDigest, sha256Digest(manifestBytes));
    assert.equal(img.size, 1234);
    assert.deepEqual((await f.content.readBytes(img.id)), configBytes);
    const m = await f.store.manifest(img);
    assert.deepEqual(m.bytes, manifestBytes);
    assert.equal(m.mediaType, mediaTypes.dockerManifest);
    assert.deepEqual(f.store.refsOf(img.id), [`localhost:5000/app:v1`, `localhost:5000/app@${indexDigest}`].sort());
    assert.equal(f.store.resolve(`localhost:5000/app@${indexDigest}`).id, img.id);
    // A manifest that names other blobs is refused and stores no image.
    await assert.rejects(
      f.store.add({ config: config(diffIds), layers: [l1, l2], manifest: { bytes: Buffer.from('{"config":{"digest":"x"},"layers":[]}'), mediaType: mediaTypes.ociManifest } }),
      /does not describe its config and layers/,
    );
    assert.equal(f.store.list().length, 1);
  } finally {
    f.db.close();
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('a local image gets a local manifest; a distribution manifest replaces it and its layers', async () => {
  const f = await fixture();
  try {
    const diffIds: Digest[] = [];
    const l1 = await layer(f, 'a', null, diffIds);
    const local = { ...l1, digest: diffIds[0]!, mediaType: mediaTypes.ociLayer };
    await f.content.writeBlob(`tar a`);
    const img = await f.store.add({ config: config(diffIds), layers: [local] });
    assert.equal(img.manifestOrigin, 'local');
    assert.equal(JSON.parse((await f.store.manifest(img)).bytes.toString()).layers[0].mediaType, mediaTypes.ociLayer);
    const manifest = await f.content.writeBlob('{"written":"by the engine"}');
    const updated = f.store.setDistributionManifest(img.id, { digest: manifest.digest, mediaType: mediaTypes.dockerManifest, layers: [l1] });
    assert.equal(updated.manifestOrigin, 'engine');
    assert.equal(updated.manifestDigest, manifest.digest);
    assert.deepEqual(updated.layers, [l1]);
    assert.throws(() => f.store.setDistributionManifest(img.id, { digest: manifest.digest, mediaType: mediaTypes.dockerManifest, layers: [] }), /do not match/);
    // The uncompressed blob is garbage now; the compressed one and the snapshot stay.
    const r = await f.store.gc(new Set());
    assert.equal(await f.content.has(diffIds[0]!), false);
    assert.equal(await f.content.has(l1.digest), true);
    assert.equal(f.snapshots.has(diffIds[0]!), true);
    assert.ok(r.blobs >= 2); // the uncompressed layer and the replaced local manifest
  } finally {
    f.db.close();
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('gc leaves leased blobs and snapshots alone; discard removes only what nothing else uses', async () => {
  const f = await fixture();
  try {
    const diffIds: Digest[] = [];
    const l1 = await layer(f, 'a', null, diffIds);
    const img = await f.store.add({ config: config([...diffIds]), layers: [l1] });
    const chain1 = chainIds(diffIds)[0]!;
    const l2 = await layer(f, 'b', chain1, diffIds);
    const chain2 = chainIds(diffIds)[1]!;
    const lease = f.store.protect();
    lease.blobs.add(l2.digest).add(l1.digest);
    lease.snapshots.add(chain2).add(chain1);
    await f.store.gc(new Set());
    assert.equal(await f.content.has(l2.digest), true);
    assert.equal(f.snapshots.has(chain2), true);
    const other = f.store.protect();
    other.blobs.add(l2.digest);
    const r = await f.store.discard(lease, new Set());
    // l2's blob is still held by the other lease; l1 and chain1 belong to the image.
    assert.deepEqual(r, { blobs: 0, snapshots: 1 });
    assert.equal(f.snapshots.has(chain2), false);
    assert.equal(f.snapshots.has(chain1), true);
    assert.equal(await f.content.has(l1.digest), true);
    other.release();
    await f.store.gc(new Set());
    assert.equal(await f.content.has(l2.digest), false);
    assert.equal(f.store.get(img.id)?.id, img.id);
  } finally {
    f.db.close();
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('a state.db of the first schema migrates: old images read as local, nothing rewritten', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-images-'));
  try {
    const db = openDatabase(join(dir, 'state.db'));
    migrate(db, 'images', [
      {
        sql: `CREATE TABLE images (id TEXT PRIMARY KEY, manifest_digest TEXT, created TEXT NOT NULL, size INTEGER NOT NULL, layers TEXT NOT NULL, config TEXT NOT NULL, last_tag_time TEXT, parent TEXT);
        CREATE TABLE image_refs (name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);
        CREATE INDEX image_refs_image ON image_refs(image_id);`,
      },
    ]);
    const id = sha256Digest('old');
    db.prepare('INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(id, sha256Digest('m'), '2020-01-01T00:00:00Z', 5, '[]', JSON.stringify(config([])), null, null);
    db.close();
    const f = await fixture(dir);
    const img = f.store.get(id)!;
    assert.equal(img.manifestOrigin, 'local');
    assert.equal(img.manifestMediaType, null);
    assert.equal(img.size, 5);
    f.store.distribution.addLayerBlob({ digest: sha256Digest('gz'), mediaType: mediaTypes.dockerLayerGzip, size: 2, diffId: sha256Digest('tar') });
    assert.equal(f.store.distribution.blobsForDiffId(sha256Digest('tar'))[0]?.digest, sha256Digest('gz'));
    f.store.distribution.addSource(sha256Digest('gz'), 'localhost:5000/app');
    assert.deepEqual(f.store.distribution.sourcesOf(sha256Digest('gz')), ['localhost:5000/app']);
    f.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
