import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferPool } from './buffer-pool.js';
import { sendFileRange } from './send-file-range.js';

/** A server whose every response is `serve(res)`, and a GET that collects the body (or how it broke off). */
async function withServer(serve: (res: ServerResponse) => Promise<void>, fn: (fetch: () => Promise<{ body: Buffer; complete: boolean }>) => Promise<void>): Promise<void> {
  const server = createServer((_req, res) => void serve(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const fetchBody = () =>
    new Promise<{ body: Buffer; complete: boolean }>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/', agent: false }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ body: Buffer.concat(chunks), complete: res.complete }));
        res.on('error', () => resolve({ body: Buffer.concat(chunks), complete: false }));
      }).on('error', reject);
    });
  try {
    await fn(fetchBody);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'berth-sendfile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const bytes = randomBytes(3 * 64 * 1024 + 123);
const path = join(dir, 'blob');
writeFileSync(path, bytes);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('sendFileRange sends the whole file and ranges of it, in chunks of the pool size, and reuses the buffers', async () => {
  const pool = new BufferPool(64 * 1024, 8);
  const ranges: Array<[number, number]> = [
    [0, bytes.length - 1],
    [1000, 150_000],
    [bytes.length - 1, bytes.length - 1],
  ];
  let next = 0;
  await withServer(
    async (res) => {
      const [start, end] = ranges[next++]!;
      const file = await open(path, 'r');
      res.writeHead(200, { 'Content-Length': end - start + 1 });
      try {
        await sendFileRange(res, file, start, end, pool);
      } finally {
        await file.close();
      }
    },
    async (fetchBody) => {
      for (const [start, end] of ranges) {
        const got = await fetchBody();
        assert.equal(got.complete, true);
        assert.equal(sha(got.body), sha(bytes.subarray(start, end + 1)), `bytes ${start}-${end}`);
      }
    },
  );
  // Every buffer came back once its write finished, and later responses took them again.
  assert.ok(pool.freeCount >= 1 && pool.freeCount <= 4, `free buffers: ${pool.freeCount}`);
});

test('sendFileRange rejects and the response breaks off when the file is shorter than the range', async () => {
  const pool = new BufferPool(64 * 1024, 8);
  let failure: unknown;
  await withServer(
    async (res) => {
      const file = await open(path, 'r');
      res.writeHead(200, { 'Content-Length': bytes.length + 10 });
      try {
        await sendFileRange(res, file, 0, bytes.length + 9, pool);
      } catch (err) {
        failure = err;
        res.destroy();
      } finally {
        await file.close();
      }
    },
    async (fetchBody) => {
      const got = await fetchBody();
      assert.equal(got.complete, false);
      assert.equal(got.body.length, bytes.length);
    },
  );
  assert.match(String(failure), /ended at byte/);
});

test('sendFileRange rejects once the client has gone, without ending the response', async () => {
  const big = join(dir, 'big');
  writeFileSync(big, randomBytes(32 * 1024 * 1024));
  const pool = new BufferPool(1024 * 1024, 4);
  let failure: unknown;
  let sent!: () => void;
  const done = new Promise<void>((r) => (sent = r));
  const server = createServer(async (_req, res) => {
    const file = await open(big, 'r');
    res.writeHead(200, { 'Content-Length': 32 * 1024 * 1024 });
    try {
      await sendFileRange(res, file, 0, 32 * 1024 * 1024 - 1, pool);
    } catch (err) {
      failure = err;
    } finally {
      await file.close();
      sent();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  // Read one chunk, then hang up: the sender is waiting for the socket to drain.
  const req = get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => res.once('data', () => req.destroy()));
  req.on('error', () => {});
  await done;
  server.close();
  assert.match(String(failure), /client closed the connection/);
});
