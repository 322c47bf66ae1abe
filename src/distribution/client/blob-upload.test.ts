/**
 * Upload protocol details against a scripted registry (node http on 127.0.0.1): relative
 * `Location`s with state that changes per chunk, the `Range` check after each PATCH, retries with
 * a new session and a new source, sources that do not match their descriptor (cancelled, never
 * committed), and a mount answered with an upload session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sha256Digest } from '../../util/digest.js';
import { parseReference } from '../../util/reference.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { startFakeRegistry } from '../../../test/helpers/fake-registry.js';
import { opener } from '../../../test/helpers/oci-content.js';
import { RegistryError } from '../registry-errors.js';
import { mediaTypes } from '../media-types.js';
import { RegistryClient } from './registry-client.js';

interface Behaviour {
  failFirstPut?: boolean;
  badRange?: boolean;
  mountAnswer?: 201 | 202;
}

/** A registry that keeps uploads in memory; Locations are relative and carry a changing `_state`. */
async function uploadRegistry(b: Behaviour = {}) {
  const uploads = new Map<string, Buffer>();
  const blobs = new Map<string, Buffer>();
  let puts = 0;
  let sessions = 0;
  const handler = (req: IncomingMessage, res: ServerResponse, body: Buffer): boolean => {
    const url = new URL(req.url!, 'http://x');
    const blobMatch = /^\/v2\/a\/b\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (blobMatch && req.method === 'HEAD') {
      const have = blobs.get(blobMatch[1]!);
      res.writeHead(have ? 200 : 404, have ? { 'Content-Length': String(have.length) } : {}).end();
      return true;
    }
    if (url.pathname === '/v2/a/b/blobs/uploads/' && req.method === 'POST') {
      if (url.searchParams.has('mount') && b.mountAnswer === 201) {
        res.writeHead(201, { 'Docker-Content-Digest': url.searchParams.get('mount')! }).end();
        return true;
      }
      const id = `u${++sessions}`;
      uploads.set(id, Buffer.alloc(0));
      res.writeHead(202, { Location: `/v2/a/b/blobs/uploads/${id}?_state=0`, Range: '0-0' }).end();
      return true;
    }
    const up = /^\/v2\/a\/b\/blobs\/uploads\/(u\d+)$/.exec(url.pathname);
    if (up) {
      const id = up[1]!;
      const have = uploads.get(id);
      if (!have) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown"}]}'), true;
      if (req.method === 'DELETE') {
        uploads.delete(id);
        res.writeHead(204).end();
        return true;
      }
      const state = Number(url.searchParams.get('_state'));
      if (state !== have.length) return void res.writeHead(400).end('stale state'), true;
      if (req.method === 'PATCH') {
        const range = /^(\d+)-(\d+)$/.exec(String(req.headers['content-range']));
        if (!range || Number(range[1]) !== have.length || Number(range[2]) !== have.length + body.length - 1) return void res.writeHead(416).end(), true;
        const next = Buffer.concat([have, body]);
        uploads.set(id, next);
        res.writeHead(202, { Location: `/v2/a/b/blobs/uploads/${id}?_state=${next.length}`, Range: `0-${b.badRange ? next.length - 2 : next.length - 1}` }).end();
        return true;
      }
      if (req.method === 'PUT') {
        puts++;
        if (b.failFirstPut && puts === 1) return void res.writeHead(503).end('busy'), true;
        const all = Buffer.concat([have, body]);
        const digest = url.searchParams.get('digest')!;
        const actual = 'sha256:' + createHash('sha256').update(all).digest('hex');
        if (actual !== digest) return void res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"DIGEST_INVALID","message":"digest mismatch"}]}'), true;
        blobs.set(digest, all);
        uploads.delete(id);
        res.writeHead(201, { 'Docker-Content-Digest': digest, Location: `/v2/a/b/blobs/${digest}` }).end();
        return true;
      }
    }
    return false;
  };
  const fake = await startFakeRegistry(handler);
  return { fake, uploads, blobs, sessions: () => sessions };
}

const big = randomBytes(2_500_000);
const bigDesc = { mediaType: mediaTypes.ociLayer, digest: sha256Digest(big), size: big.length };

test('chunked upload follows each relative Location with its new state and sends Content-Range', async () => {
  const { fake, blobs } = await uploadRegistry();
  const client = new RegistryClient({ certsDirs: [], chunkSize: 1_000_000 });
  try {
    const r = client.repository(parseReference(`${fake.host}/a/b`));
    assert.equal(await r.pushBlob(bigDesc, opener(big).open), 'uploaded');
    assert.ok(blobs.get(bigDesc.digest)?.equals(big));
    const patches = fake.requests.filter((q) => q.method === 'PATCH');
    assert.deepEqual(patches.map((q) => q.headers['content-range']), ['0-999999', '1000000-1999999', '2000000-2499999']);
    assert.deepEqual(patches.map((q) => new URL(q.url, 'http://x').searchParams.get('_state')), ['0', '1000000', '2000000']);
    assert.equal(await r.pushBlob(bigDesc, opener(big).open), 'exists');
  } finally {
    client.close();
    await fake.stop();
  }
});

test('a failed commit is retried with a new session and a new source', async () => {
  const { fake, blobs, sessions } = await uploadRegistry({ failFirstPut: true });
  const client = new RegistryClient({ certsDirs: [], chunkSize: 1_000_000, retryDelayMs: 5 });
  try {
    const o = opener(big);
    assert.equal(await client.repository(parseReference(`${fake.host}/a/b`)).pushBlob(bigDesc, o.open), 'uploaded');
    assert.equal(o.opened(), 2);
    assert.equal(sessions(), 2);
    assert.ok(blobs.get(bigDesc.digest)?.equals(big));
  } finally {
    client.close();
    await fake.stop();
  }
});

test('a source that does not match its descriptor is cancelled, never committed', async () => {
  const { fake, blobs, uploads } = await uploadRegistry();
  const client = new RegistryClient({ certsDirs: [], chunkSize: 1_000_000 });
  try {
    const r = client.repository(parseReference(`${fake.host}/a/b`));
    const small = Buffer.from('small blob');
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from('small blob!'), /is longer than its descriptor's 10 bytes/],
      [Buffer.from('small'), /has 5 bytes, its descriptor says 10/],
      [Buffer.from('SMALL BLOB'), /has digest sha256:/],
    ];
    for (const [bytes, message] of cases) {
      await assert.rejects(r.pushBlob({ mediaType: 'x/y', digest: sha256Digest(small), size: small.length }, opener(bytes).open), (e: Error) => e instanceof InvalidArgumentError && message.test(e.message));
    }
    await assert.rejects(r.pushBlob(bigDesc, opener(Buffer.concat([big, Buffer.from('x')])).open), /is longer than/);
    await new Promise((res) => setTimeout(res, 50)); // cancellations are sent in the background
    assert.equal(fake.requests.filter((q) => q.method === 'PUT').length, 0);
    assert.equal(fake.requests.filter((q) => q.method === 'DELETE').length, 4);
    assert.equal(blobs.size, 0);
    assert.equal(uploads.size, 0);
  } finally {
    client.close();
    await fake.stop();
  }
});

test('a registry Range that disagrees with the bytes sent stops the upload without retrying', async () => {
  const { fake, sessions } = await uploadRegistry({ badRange: true });
  const client = new RegistryClient({ certsDirs: [], chunkSize: 1_000_000, retryDelayMs: 5 });
  try {
    await assert.rejects(client.repository(parseReference(`${fake.host}/a/b`)).pushBlob(bigDesc, opener(big).open), (e: Error) => e instanceof RegistryError && e.code === 'RANGE_INVALID' && /reports upload range "0-999998" after 1000000 bytes/.test(e.message));
    assert.equal(sessions(), 1);
  } finally {
    client.close();
    await fake.stop();
  }
});

test('mounts: 201 is mounted without reading; 202 opens the session the upload then uses', async () => {
  for (const answer of [201, 202] as const) {
    const { fake, sessions } = await uploadRegistry({ mountAnswer: answer });
    const client = new RegistryClient({ certsDirs: [] });
    try {
      const o = opener(big);
      const result = await client.repository(parseReference(`${fake.host}/a/b`)).pushBlob(bigDesc, o.open, { mountFrom: ['a/b', 'other/repo', `${fake.host}/third/repo`] });
      const mounts = fake.requests.filter((q) => q.url.includes('mount='));
      assert.deepEqual(mounts.map((q) => new URL(q.url, 'http://x').searchParams.get('from')), answer === 201 ? ['other/repo'] : ['other/repo', 'third/repo']);
      if (answer === 201) {
        assert.equal(result, 'mounted');
        assert.equal(o.opened(), 0);
      } else {
        assert.equal(result, 'uploaded');
        assert.equal(sessions(), 2, 'two mount attempts opened two sessions; the first was cancelled, the last used');
        assert.equal(fake.requests.filter((q) => q.method === 'POST' && !q.url.includes('mount=')).length, 0);
        assert.equal(fake.requests.filter((q) => q.method === 'DELETE').length, 1);
      }
    } finally {
      client.close();
      await fake.stop();
    }
  }
});
