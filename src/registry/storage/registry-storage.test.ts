import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sha256Digest, type Digest } from '../../util/digest.js';
import { Logger } from '../../util/log.js';
import { mediaTypes, RegistryError } from '../../distribution/index.js';
import { RegistryStorage } from './registry-storage.js';

function tempRoot(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-regstore-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(root: string, now?: () => number): Promise<RegistryStorage> {
  return RegistryStorage.open({ root, logger: Logger.silent(), ...(now ? { now } : {}) });
}

function manifestFor(config: Buffer, layers: Buffer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: sha256Digest(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: mediaTypes.ociLayerGzip, digest: sha256Digest(l), size: l.length })),
    }),
  );
}

const isCode = (code: string) => (e: unknown) => e instanceof RegistryError && e.code === code;

test('blobs and manifests: push, read back, references checked per repository', async (t) => {
  const root = tempRoot(t);
  const s = await open(root);
  t.after(() => s.close());
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layer = Buffer.from('layer bytes');
  await s.putBlob('a/b', Readable.from([config]), sha256Digest(config), config.length);
  const m = manifestFor(config, [layer]);
  await assert.rejects(s.putManifest('a/b', 'v1', m, mediaTypes.ociManifest), isCode('MANIFEST_BLOB_UNKNOWN'));
  assert.equal(await s.getManifest('a/b', 'v1'), undefined, 'nothing stored for a refused manifest');
  await s.putBlob('a/b', Readable.from([layer]), sha256Digest(layer));
  // The blob is in the registry, but not linked to repository c: a manifest there is refused.
  await assert.rejects(s.putManifest('c', 'v1', m, mediaTypes.ociManifest), isCode('MANIFEST_BLOB_UNKNOWN'));
  const parsed = await s.putManifest('a/b', 'v1', m, mediaTypes.ociManifest);
  const got = await s.getManifest('a/b', 'v1');
  assert.equal(got?.digest, parsed.digest);
  assert.equal(got?.mediaType, mediaTypes.ociManifest);
  assert.deepEqual(got?.bytes, m);
  assert.deepEqual(await s.tags('a/b'), ['v1']);
  assert.deepEqual(s.repositories(), ['a/b']);
  // Wrong digest and wrong size are refused, and leave no blob.
  await assert.rejects(s.putBlob('a/b', Readable.from([Buffer.from('x')]), sha256Digest('y')), isCode('DIGEST_INVALID'));
  await assert.rejects(s.putBlob('a/b', Readable.from([Buffer.from('x')]), sha256Digest('x'), 2), isCode('SIZE_INVALID'));
  assert.equal(await s.blobs.stat(sha256Digest('x')), undefined);
  assert.deepEqual(readdirSync(join(root, 'ingest')), []);
  s.close();
  // A second open sees the same content (nothing only in memory).
  const s2 = await open(root);
  assert.equal((await s2.getManifest('a/b', parsed.digest))?.mediaType, mediaTypes.ociManifest);
  s2.close();
});

test('uploads: chunks in order, out-of-order refused, a cut chunk leaves no bytes, a reopened session resumes', async (t) => {
  const root = tempRoot(t);
  let s = await open(root);
  const up = await s.startUpload('r');
  await s.appendUpload(up, Readable.from([Buffer.from('hello ')]), { start: 0, length: 6 });
  await assert.rejects(s.appendUpload(up, Readable.from([Buffer.from('x')]), { start: 3 }), (e: unknown) => e instanceof RegistryError && e.status === 416);
  const failing = new Readable({
    read() {
      this.push(Buffer.from('garbage'));
      this.destroy(new Error('connection reset'));
    },
  });
  await assert.rejects(s.appendUpload(up, failing, {}), /connection reset/);
  assert.equal(up.size, 6);
  s.close();
  // As after a restart: the session comes back from disk and continues.
  s = await open(root);
  t.after(() => s.close());
  const again = await s.getUpload('r', up.id);
  assert.equal(again.size, 6);
  await assert.rejects(s.getUpload('other', up.id), isCode('BLOB_UPLOAD_UNKNOWN'));
  const d = sha256Digest('hello world');
  assert.equal(await s.finishUpload(again, d, { body: Readable.from([Buffer.from('world')]) }), 11);
  assert.equal((await s.statBlob('r', d))?.size, 11);
  assert.deepEqual(readdirSync(join(root, 'uploads')), []);
});

test('gc keeps everything referenced and young, removes old unreferenced blobs and links', async (t) => {
  const root = tempRoot(t);
  let now = 1_000_000_000_000;
  const s = await open(root, () => now);
  t.after(() => s.close());
  const config = Buffer.from('{}');
  const layer = Buffer.from('kept layer');
  const orphan = Buffer.from('orphan');
  const young = Buffer.from('young orphan');
  for (const b of [config, layer, orphan]) await s.putBlob('app', Readable.from([b]), sha256Digest(b));
  await s.putManifest('app', 'latest', manifestFor(config, [layer]), mediaTypes.ociManifest);
  // Age every file on disk past the grace period (mtime), and move the clock on.
  const old = new Date(now - 3600_000);
  const ageAll = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) ageAll(p);
      else utimesSync(p, old, old);
    }
  };
  ageAll(root);
  now += 3600_000;
  await s.putBlob('app', Readable.from([young]), sha256Digest(young));
  const stats = await s.collectGarbage(60_000);
  assert.equal(stats.blobsDeleted, 1);
  assert.equal(stats.bytesFreed, orphan.length);
  const gone = (b: Buffer) => !existsSync(s.paths.blob(sha256Digest(b)));
  assert.equal(gone(orphan), true);
  assert.equal(existsSync(s.paths.layerLink('app', sha256Digest(orphan))), false, 'its link went with it');
  assert.equal(gone(layer) || gone(config) || gone(young), false);
  assert.ok(await s.getManifest('app', 'latest'));
});

test('gc never removes a blob a manifest push holds, even past the grace period', async (t) => {
  const root = tempRoot(t);
  let now = 1_000_000_000_000;
  const s = await open(root, () => now);
  t.after(() => s.close());
  const config = Buffer.from('{"c":1}');
  await s.putBlob('app', Readable.from([config]), sha256Digest(config));
  const aged = new Date(now - 7200_000);
  utimesSync(s.paths.blob(sha256Digest(config)), aged, aged);
  utimesSync(s.paths.layerLink('app', sha256Digest(config)), aged, aged);
  now += 7200_000;
  // A push holds the digest (as between its check and its commit) while the collection runs.
  const release = await s.guard.acquire([sha256Digest(config) as Digest]);
  const stats = await s.collectGarbage(1000);
  release();
  assert.equal(stats.blobsDeleted, 0);
  await s.putManifest('app', 'v1', manifestFor(config, []), mediaTypes.ociManifest);
  assert.ok(existsSync(s.paths.blob(sha256Digest(config))));
});
