import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore } from './content-store.js';
import { sha256Digest } from '../util/digest.js';
import { InvalidArgumentError, NotFoundError } from '../util/errors.js';

async function withStore(fn: (s: ContentStore, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-content-'));
  try {
    const s = new ContentStore(dir);
    await s.init();
    await fn(s, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('writeBlob stores content under its digest and reads it back', () =>
  withStore(async (s) => {
    const info = await s.writeBlob('hello');
    assert.equal(info.digest, sha256Digest('hello'));
    assert.equal(info.size, 5);
    assert.equal((await s.readBytes(info.digest)).toString(), 'hello');
    assert.equal(await s.has(info.digest), true);
    assert.deepEqual(await s.info(info.digest), info);
    // writing the same content again is a no-op that still succeeds
    assert.deepEqual(await s.writeBlob('hello'), info);
  }));

test('writeStream verifies the expected digest and size, storing nothing on mismatch', () =>
  withStore(async (s, dir) => {
    const wrong = sha256Digest('other');
    await assert.rejects(s.writeStream(Readable.from([Buffer.from('abc')]), { digest: wrong }), InvalidArgumentError);
    await assert.rejects(s.writeStream(Readable.from([Buffer.from('abc')]), { size: 2 }), /larger than the expected/);
    await assert.rejects(s.writeStream(Readable.from([Buffer.from('abc')]), { size: 4 }), /size mismatch/);
    assert.equal(await s.has(sha256Digest('abc')), false);
    assert.deepEqual(readdirSync(join(dir, 'ingest')), []);
    assert.deepEqual(readdirSync(join(dir, 'blobs', 'sha256')), []);
    const ok = await s.writeStream(Readable.from([Buffer.from('a'), Buffer.from('bc')]), { digest: sha256Digest('abc'), size: 3 });
    assert.equal(ok.digest, sha256Digest('abc'));
  }));

test('missing blobs are NotFound; cleanupIngests removes half-written ingests', () =>
  withStore(async (s, dir) => {
    await assert.rejects(s.readBytes(sha256Digest('nope')), NotFoundError);
    writeFileSync(join(dir, 'ingest', 'leftover'), 'partial');
    assert.equal(await s.cleanupIngests(), 1);
    assert.deepEqual(readdirSync(join(dir, 'ingest')), []);
  }));
