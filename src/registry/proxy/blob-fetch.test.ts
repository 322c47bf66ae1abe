import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Digest } from '../../util/digest.js';
import { Logger } from '../../util/log.js';
import { RegistryStorage } from '../storage/index.js';
import { BlobFetch } from './blob-fetch.js';

async function storageIn(t: { after(fn: () => void | Promise<void>): void }): Promise<RegistryStorage> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-blobfetch-'));
  const s = await RegistryStorage.open({ root: dir, logger: Logger.silent() });
  t.after(() => {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}

/** Collects what a reader sends, and whether it ended or failed. */
function drain(r: Readable): { bytes: () => Buffer; done: Promise<'ended' | Error> } {
  const chunks: Buffer[] = [];
  r.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<'ended' | Error>((resolve) => {
    r.once('end', () => resolve('ended'));
    r.once('error', (e) => resolve(e));
  });
  return { bytes: () => Buffer.concat(chunks), done };
}

/** A failed download left no blob, no link of team/app, and no ingest file. */
async function assertNothingStored(s: RegistryStorage, blob: Buffer): Promise<void> {
  assert.equal(existsSync(s.blobs.path(sha256Digest(blob))), false, 'no blob');
  assert.equal(await s.repos.hasBlobLink('team/app', sha256Digest(blob)), false, 'no link');
  assert.deepEqual(readdirSync(s.paths.ingest), [], 'no ingest file left');
}

function fetchOf(s: RegistryStorage, bytes: Buffer, onFinish?: (o: { ok: boolean; bytes: number }) => void, tuning: { memoryWindowBytes?: number; maxUnwrittenBytes?: number } = {}) {
  const source = new PassThrough();
  let opened = 0;
  const f = new BlobFetch({
    digest: sha256Digest(bytes),
    size: bytes.length,
    repository: 'team/app',
    source: () => {
      opened++;
      return source;
    },
    storage: s,
    logger: Logger.silent(),
    ...(onFinish ? { onFinish } : {}),
    ...tuning,
  });
  return { f, source, opened: () => opened };
}

test('readers get bytes while they arrive, but the last byte only once the whole blob is verified; the blob is stored and linked', async (t) => {
  const s = await storageIn(t);
  const blob = randomBytes(300_000);
  const outcomes: Array<{ ok: boolean; bytes: number }> = [];
  const { f, source, opened } = fetchOf(s, blob, (o) => outcomes.push(o));
  f.start();
  const opening = [f.open(), f.open({ start: 1000, end: 1999 })];
  source.write(blob.subarray(0, 200_000));
  const a = drain(await opening[0]!);
  const b = drain(await opening[1]!);
  await sleep(50);
  assert.equal(a.bytes().length, 200_000, 'streams what arrived');
  assert.ok(b.bytes().length === 999, `a range holds back its own last byte (got ${b.bytes().length})`);
  source.write(blob.subarray(200_000));
  await sleep(50);
  assert.equal(a.bytes().length, blob.length - 1, 'everything but the last byte before the end of the verified stream');
  source.end();
  assert.equal(await a.done, 'ended');
  assert.equal(await b.done, 'ended');
  assert.ok(a.bytes().equals(blob));
  assert.ok(b.bytes().equals(blob.subarray(1000, 2000)));
  await f.finished;
  assert.equal(f.state, 'committed');
  assert.equal(opened(), 1);
  assert.deepEqual(outcomes, [{ ok: true, bytes: blob.length }]);
  assert.ok(readFileSync(s.blobs.path(sha256Digest(blob))).equals(blob));
  assert.ok(await s.repos.hasBlobLink('team/app', sha256Digest(blob)));
  assert.deepEqual(readdirSync(s.paths.ingest), [], 'the ingest file became the blob');
  // Opened after the commit: read from the stored blob.
  const late = drain(await f.open({ start: 5, end: 9 }));
  assert.equal(await late.done, 'ended');
  assert.ok(late.bytes().equals(blob.subarray(5, 10)));
});

test('a failed download aborts every reader, stores nothing, and later opens reject with its error', async (t) => {
  const s = await storageIn(t);
  const blob = randomBytes(100_000);
  const outcomes: Array<{ ok: boolean; bytes: number }> = [];
  const { f, source } = fetchOf(s, blob, (o) => outcomes.push(o));
  f.start();
  const opening = f.open();
  source.write(blob.subarray(0, 60_000));
  const a = drain(await opening);
  await sleep(30);
  source.destroy(new Error('blob failed verification'));
  const got = await a.done;
  assert.ok(got instanceof Error && /failed verification/.test(got.message), 'the reader errors, never ends');
  assert.ok(a.bytes().length < blob.length);
  await f.finished;
  assert.equal(f.state, 'failed');
  await assert.rejects(f.open(), /failed verification/);
  await assertNothingStored(s, blob);
  assert.deepEqual(outcomes.map((o) => ({ ok: o.ok, bytes: o.bytes })), [{ ok: false, bytes: 60_000 }]);
});

test('a stream that ends short of the size is a failure, even if the source did not say so', async (t) => {
  const s = await storageIn(t);
  const blob = randomBytes(10_000);
  const { f, source } = fetchOf(s, blob);
  f.start();
  const opening = f.open();
  source.end(blob.subarray(0, 9_000));
  const a = drain(await opening);
  const got = await a.done;
  assert.ok(got instanceof Error && /ended after 9000 of 10000 bytes/.test(got.message), String(got));
  await f.finished;
  await assertNothingStored(s, blob);
});

test('repositories that join a running download are linked at its commit; abort fails it', async (t) => {
  const s = await storageIn(t);
  const blob = randomBytes(1000);
  const { f, source } = fetchOf(s, blob);
  f.start();
  assert.ok(f.servesRepository('team/app'));
  assert.equal(f.servesRepository('other/app'), false);
  await f.alsoLink('other/app');
  assert.ok(f.servesRepository('other/app'));
  source.end(blob);
  await f.finished;
  assert.ok(await s.repos.hasBlobLink('other/app', sha256Digest(blob)));
  await f.alsoLink('third/app');
  assert.ok(await s.repos.hasBlobLink('third/app', sha256Digest(blob)), 'after the commit: linked at once');

  const other = randomBytes(1000);
  const second = fetchOf(s, other);
  second.f.start();
  const opening = second.f.open();
  second.source.write(other.subarray(0, 10));
  const r = drain(await opening);
  second.f.abort(new Error('the registry is stopping'));
  assert.ok((await r.done) instanceof Error);
  await second.f.finished;
  assert.equal(second.f.state, 'failed');
  assert.equal(existsSync(s.blobs.path(sha256Digest(other))), false);
});

test('the empty blob: a reader is answered only after the verification', async (t) => {
  const s = await storageIn(t);
  const empty = Buffer.alloc(0);
  const { f, source } = fetchOf(s, empty);
  f.start();
  let opened = false;
  const opening = f.open().then((r) => ((opened = true), r));
  await sleep(30);
  assert.equal(opened, false, 'no answer before the verified end');
  source.end();
  const a = drain(await opening);
  assert.equal(await a.done, 'ended');
  assert.equal(a.bytes().length, 0);
  assert.ok(existsSync(s.blobs.path(sha256Digest(empty))));
});

test('a download that fails before its first byte makes open() reject (an error response, not a 200 that breaks off)', async (t) => {
  const s = await storageIn(t);
  const blob = randomBytes(1000);
  const { f, source } = fetchOf(s, blob);
  f.start();
  const opening = f.open();
  await sleep(20);
  source.destroy(new Error('upstream answered 404'));
  await assert.rejects(opening, /upstream answered 404/);
  await f.finished;
  assert.deepEqual(readdirSync(s.paths.ingest), []);
});

test('a reader that falls behind the memory window reads the file; a tiny unwritten bound only slows the download', async (t) => {
  const s = await storageIn(t);
  const blob = randomBytes(2_000_000);
  const { f, source } = fetchOf(s, blob, undefined, { memoryWindowBytes: 10_000, maxUnwrittenBytes: 5_000 });
  f.start();
  const live = f.open();
  // Many small chunks, each waiting for the source to take it (the download pauses while the file lags).
  const feeding = (async () => {
    for (let off = 0; off < blob.length; off += 7_000) {
      if (!source.write(blob.subarray(off, off + 7_000))) await new Promise((r) => source.once('drain', r));
    }
    source.end();
  })();
  const a = drain(await live);
  // Opened once the download is far past the window: its first bytes can only come from the file.
  while (f.received < 1_500_000) await sleep(5);
  const late = drain(await f.open({ start: 100, end: 1_999_000 }));
  await feeding;
  assert.equal(await a.done, 'ended');
  assert.equal(await late.done, 'ended');
  assert.ok(a.bytes().equals(blob), 'the live reader got the blob');
  assert.ok(late.bytes().equals(blob.subarray(100, 1_999_001)), 'the late reader got its range, partly from the file');
  await f.finished;
  assert.equal(f.state, 'committed');
  assert.ok(readFileSync(s.blobs.path(sha256Digest(blob))).equals(blob), 'the stored blob is whole');
});

test('upstream sending more than the size fails the download; nothing is stored', async (t) => {
  const s = await storageIn(t);
  const blob = randomBytes(1000);
  const { f, source } = fetchOf(s, blob);
  f.start();
  const opening = f.open();
  source.write(blob);
  source.write(Buffer.from('extra'));
  const a = drain(await opening);
  const got = await a.done;
  assert.ok(got instanceof Error && /more than its 1000 bytes/.test(got.message), String(got));
  await f.finished;
  assert.equal(f.state, 'failed');
  await assertNothingStored(s, blob);
});
