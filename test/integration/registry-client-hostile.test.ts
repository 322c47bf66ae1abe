/**
 * Hostile registries (a node http server playing one): wrong digests on blobs and manifests,
 * truncated and endless bodies, bad JSON, oversized manifests, 500s. Each gives a clear error, and
 * a blob stream never ends ('end', the signal that data is complete and verified) on bad data.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256Digest } from '../../src/util/digest.js';
import { parseReference } from '../../src/util/reference.js';
import { NotFoundError } from '../../src/util/errors.js';
import { RegistryError, mediaTypes, type Descriptor } from '../../src/distribution/index.js';
import { RegistryClient } from '../../src/distribution/client/index.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { makeImage } from '../helpers/oci-content.js';

const good = randomBytes(256 * 1024);
const desc: Descriptor = { mediaType: mediaTypes.ociLayerGzip, digest: sha256Digest(good), size: good.length };
const img = makeImage([10]);
let endlessBytesSent = 0;

let fake: FakeRegistry;
let client: RegistryClient;
let mode = '';

before(async () => {
  fake = await startFakeRegistry((req, res) => {
    const url = req.url!;
    if (url.startsWith('/v2/evil/repo/blobs/')) {
      switch (mode) {
        case 'wrong-digest':
          res.writeHead(200, { 'Content-Length': String(good.length) }).end(randomBytes(good.length));
          return true;
        case 'short-length':
          res.writeHead(200, { 'Content-Length': String(good.length - 1) }).end(good.subarray(1));
          return true;
        case 'long-length':
          res.writeHead(200, { 'Content-Length': String(good.length + 1) }).end(Buffer.concat([good, Buffer.from('x')]));
          return true;
        case 'always-cut': {
          // Honours Range, then cuts after 1000 bytes every time.
          const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
          res.writeHead(from ? 206 : 200, { 'Content-Length': String(good.length - from), ...(from ? { 'Content-Range': `bytes ${from}-${good.length - 1}/${good.length}` } : {}) });
          res.write(good.subarray(from, from + 1000), () => res.socket?.destroy());
          return true;
        }
        case 'endless': {
          res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // chunked, no length
          const junk = Buffer.alloc(64 * 1024, 0x41);
          const pump = () => {
            while (!res.destroyed && res.write(junk)) endlessBytesSent += junk.length;
            if (!res.destroyed) res.once('drain', pump);
          };
          res.on('close', () => res.removeAllListeners('drain'));
          pump();
          return true;
        }
        case 'blob-unknown':
          res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
          return true;
        case 'server-error':
          res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html>oops</html>');
          return true;
      }
    }
    if (url.startsWith('/v2/evil/repo/manifests/')) {
      switch (mode) {
        case 'manifest-other-bytes': {
          const other = makeImage([11]).manifest;
          res.writeHead(200, { 'Content-Type': mediaTypes.ociManifest, 'Content-Length': String(other.length) }).end(other);
          return true;
        }
        case 'manifest-wrong-header':
          res.writeHead(200, { 'Content-Type': mediaTypes.ociManifest, 'Docker-Content-Digest': sha256Digest('something else') }).end(img.manifest);
          return true;
        case 'manifest-bad-json':
          res.writeHead(200, { 'Content-Type': mediaTypes.ociManifest }).end('{"schemaVersion": 2, "layers": [');
          return true;
        case 'manifest-huge':
          res.writeHead(200, { 'Content-Type': mediaTypes.ociManifest });
          res.end(Buffer.alloc(5 * 1024 * 1024, 0x20));
          return true;
        case 'manifest-500':
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal');
          return true;
        case 'manifest-denied':
          res.writeHead(403, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}');
          return true;
      }
    }
    return false;
  });
  client = new RegistryClient({ retries: 2, retryDelayMs: 5, certsDirs: [] });
});

after(async () => {
  client?.close();
  await fake?.stop();
});

const repo = () => client.repository(parseReference(`${fake.host}/evil/repo`));

/** Drains a blob stream, noting whether it ended (which would mean "verified"). */
async function drain(d: Descriptor = desc): Promise<{ ended: boolean; bytes: number; error?: Error }> {
  let bytes = 0;
  const stream = repo().fetchBlob(d);
  let ended = false;
  stream.on('end', () => (ended = true));
  try {
    await pipeline(stream, new Writable({ write: (c: Buffer, _e, cb) => ((bytes += c.length), cb()) }));
    return { ended, bytes };
  } catch (error) {
    return { ended, bytes, error: error as Error };
  }
}

test('a blob with the wrong digest fails the stream at the end, never ending it', async () => {
  mode = 'wrong-digest';
  const r = await drain();
  assert.equal(r.ended, false);
  assert.ok(r.error instanceof RegistryError);
  assert.equal((r.error as RegistryError).code, 'DIGEST_INVALID');
  assert.match(r.error.message, new RegExp(`^blob ${desc.digest} of ${fake.host.replace(/\./g, '\\.')}/evil/repo failed verification: the registry sent content with digest sha256:[a-f0-9]{64}$`));
});

test('a blob body announced shorter or longer than the descriptor is refused before any byte is passed on', async () => {
  for (const m of ['short-length', 'long-length']) {
    mode = m;
    const r = await drain();
    assert.equal(r.ended, false);
    assert.equal(r.bytes, 0);
    assert.equal((r.error as RegistryError).code, 'SIZE_INVALID');
    assert.match(r.error!.message, new RegExp(`the registry announced ${m === 'short-length' ? good.length - 1 : good.length + 1} bytes, the descriptor says ${good.length}`));
  }
});

test('a truncated blob body that never completes fails after the retries', async () => {
  mode = 'always-cut';
  const before = fake.requests.length;
  const r = await drain();
  assert.equal(r.ended, false);
  assert.match(r.error!.message, /download failed after 3 attempts \(received 3000 of 262144 bytes\): connection broken after 3000 of 262144 bytes/);
  assert.equal(fake.requests.length - before, 3);
  assert.equal(fake.requests.at(-1)?.headers.range, 'bytes=2000-');
});

test('an endless blob body stops at the first byte past the descriptor size', async () => {
  mode = 'endless';
  const r = await drain();
  assert.equal(r.ended, false);
  assert.ok(r.bytes <= good.length, `passed on ${r.bytes} bytes`);
  assert.equal((r.error as RegistryError).code, 'SIZE_INVALID');
  assert.match(r.error!.message, /sent more than the descriptor's 262144 bytes/);
  await new Promise((res) => setTimeout(res, 100));
  const sent = endlessBytesSent;
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(endlessBytesSent, sent, 'the connection was closed: the server stopped sending');
});

test('a blob answered with 500 fails after the retries, naming the status', async () => {
  mode = 'server-error';
  const r = await drain();
  assert.equal(r.ended, false);
  assert.match(r.error!.message, /download failed after 3 attempts \(received 0 of 262144 bytes\): received unexpected HTTP status: 500 Internal Server Error/);
});

test('a manifest fetched by digest whose bytes have another digest is refused', async () => {
  mode = 'manifest-other-bytes';
  await assert.rejects(repo().getManifest(img.manifestDesc.digest), (e: Error) => {
    assert.ok(e instanceof RegistryError);
    assert.equal(e.code, 'DIGEST_INVALID');
    assert.match(e.message, new RegExp(`^manifest verification failed for digest ${img.manifestDesc.digest}: the registry sent a manifest with digest sha256:`));
    return true;
  });
});

test('a manifest by tag whose Docker-Content-Digest disagrees with its bytes is refused', async () => {
  mode = 'manifest-wrong-header';
  await assert.rejects(repo().getManifest('latest'), (e: Error) => {
    assert.ok(e instanceof RegistryError);
    assert.equal(e.code, 'DIGEST_INVALID');
    assert.equal(e.message, `manifest verification failed for digest ${sha256Digest('something else')}: the registry sent a manifest with digest ${img.manifestDesc.digest}`);
    return true;
  });
});

test('bad JSON and oversized manifests are refused as invalid', async () => {
  mode = 'manifest-bad-json';
  await assert.rejects(repo().getManifest('latest'), (e: Error) => e instanceof RegistryError && e.code === 'MANIFEST_INVALID' && /^manifest invalid: not JSON/.test(e.message));
  mode = 'manifest-huge';
  await assert.rejects(repo().getManifest('latest'), (e: Error) => e instanceof RegistryError && e.code === 'MANIFEST_INVALID' && /larger than 4194304 bytes/.test(e.message));
});

test('a 500 for a manifest and a denied pull read as Docker says them', async () => {
  mode = 'manifest-500';
  await assert.rejects(repo().getManifest('latest'), (e: Error) => {
    assert.ok(e instanceof RegistryError);
    assert.equal(e.status, 500);
    assert.equal(e.message, 'received unexpected HTTP status: 500 Internal Server Error');
    return true;
  });
  mode = 'manifest-denied';
  await assert.rejects(repo().getManifest('latest'), (e: Error) => {
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.message, `pull access denied for ${fake.host}/evil/repo, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`);
    return true;
  });
});

test('a blob the registry does not have is NotFoundError naming the blob and repository', async () => {
  mode = 'blob-unknown';
  const r = await drain();
  assert.equal(r.ended, false);
  assert.ok(r.error instanceof NotFoundError);
  assert.equal(r.error.message, `blob ${desc.digest} not found in ${fake.host}/evil/repo: blob unknown: blob unknown to registry`);
  mode = 'none';
  const missingRepo = await drain();
  assert.equal(missingRepo.error?.message, `repository ${fake.host}/evil/repo not found: name unknown: repository name not known to registry`);
});
