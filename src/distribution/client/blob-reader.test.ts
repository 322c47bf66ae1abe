/**
 * Resume logic of fetchBlob against a node http server that cuts, stalls, ignores ranges and
 * misbehaves on purpose. The server plays a registry without auth on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256Digest } from '../../util/digest.js';
import { parseReference } from '../../util/reference.js';
import { RegistryClient } from './registry-client.js';
import type { Descriptor } from '../descriptor.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

async function serve(blobHandler: Handler) {
  const requests: Array<{ method: string; url: string; range?: string }> = [];
  let blobRequests = 0;
  const server = createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, ...(req.headers.range ? { range: req.headers.range } : {}) });
    if (req.url === '/v2/') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-Api-Version': 'registry/2.0' }).end('{}');
      return;
    }
    if (req.url!.startsWith('/v2/test/blob/blobs/')) {
      blobHandler(req, res, blobRequests++);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RegistryClient({ retryDelayMs: 5, idleTimeoutMs: 300 });
  return {
    host,
    requests,
    repo: client.repository(parseReference(`${host}/test/blob`)),
    close: async () => {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const blob = randomBytes(3 * 1024 * 1024 + 17);
const desc: Descriptor = { mediaType: 'application/octet-stream', digest: sha256Digest(blob), size: blob.length };

function rangeStart(req: IncomingMessage): number {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  return m ? Number(m[1]) : 0;
}

function sendFrom(res: ServerResponse, start: number, opts: { cutAfter?: number; stallAfter?: number; ignoreRange?: boolean } = {}) {
  const from = opts.ignoreRange ? 0 : start;
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(blob.length - from) };
  if (from > 0) headers['Content-Range'] = `bytes ${from}-${blob.length - 1}/${blob.length}`;
  res.writeHead(from > 0 ? 206 : 200, headers);
  const end = opts.cutAfter !== undefined ? Math.min(blob.length, from + opts.cutAfter) : opts.stallAfter !== undefined ? from + opts.stallAfter : blob.length;
  res.write(blob.subarray(from, end), () => {
    if (opts.cutAfter !== undefined) res.socket?.destroy();
    else if (opts.stallAfter === undefined) res.end();
    // stalling: keep the socket open without sending more
  });
}

async function collect(repo: Awaited<ReturnType<typeof serve>>['repo'], d = desc, onProgress?: (n: number) => void) {
  const chunks: Buffer[] = [];
  await pipeline(
    repo.fetchBlob(d, onProgress ? { onProgress } : {}),
    new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
  );
  return Buffer.concat(chunks);
}

test('fetchBlob resumes a cut connection with a Range request from the byte received', async () => {
  const s = await serve((req, res, n) => sendFrom(res, rangeStart(req), n === 0 ? { cutAfter: 1024 * 1024 } : {}));
  try {
    const progress: number[] = [];
    const got = await collect(s.repo, desc, (b) => progress.push(b));
    assert.ok(got.equals(blob));
    const blobReqs = s.requests.filter((r) => r.url.includes('/blobs/'));
    assert.equal(blobReqs.length, 2);
    assert.equal(blobReqs[0]!.range, undefined);
    const resumed = Number(/bytes=(\d+)-/.exec(blobReqs[1]!.range ?? '')?.[1]);
    assert.ok(resumed > 0 && resumed <= 1024 * 1024, `resumed at ${resumed}`);
    assert.equal(progress.at(-1), blob.length);
    assert.ok(progress.every((v, i) => i === 0 || v >= progress[i - 1]!), 'progress is monotonic');
  } finally {
    await s.close();
  }
});

test('fetchBlob resumes when the server ignores Range and sends the whole blob again (200)', async () => {
  const s = await serve((req, res, n) => sendFrom(res, rangeStart(req), n === 0 ? { cutAfter: 700_000 } : { ignoreRange: true }));
  try {
    assert.ok((await collect(s.repo)).equals(blob));
  } finally {
    await s.close();
  }
});

test('fetchBlob treats a stalled body as broken and resumes after the idle timeout', async () => {
  const s = await serve((req, res, n) => sendFrom(res, rangeStart(req), n === 0 ? { stallAfter: 500_000 } : {}));
  try {
    assert.ok((await collect(s.repo)).equals(blob));
    assert.equal(s.requests.filter((r) => r.url.includes('/blobs/')).length, 2);
  } finally {
    await s.close();
  }
});

test('fetchBlob retries a 500 and succeeds; a slow consumer does not trip the idle timeout', async () => {
  const s = await serve((req, res, n) => {
    if (n === 0) res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNKNOWN","message":"try later"}]}');
    else sendFrom(res, rangeStart(req));
  });
  try {
    const chunks: Buffer[] = [];
    await pipeline(
      s.repo.fetchBlob(desc),
      new Writable({
        highWaterMark: 1,
        write(c: Buffer, _e, cb) {
          chunks.push(c);
          // Slow: the whole blob takes longer than the 300 ms idle timeout to consume.
          setTimeout(cb, chunks.length === 2 ? 500 : 0);
        },
      }),
    );
    assert.ok(Buffer.concat(chunks).equals(blob));
    assert.equal(s.requests.filter((r) => r.url.includes('/blobs/')).length, 2);
  } finally {
    await s.close();
  }
});

test('fetchBlob gives up after the retries with the bytes received and the last reason', async () => {
  const s = await serve((req, res) => sendFrom(res, rangeStart(req), { cutAfter: 100_000 }));
  try {
    await assert.rejects(collect(s.repo), (err: Error) => {
      assert.match(err.message, /download failed after 6 attempts \(received 600000 of 3145745 bytes\)/);
      return true;
    });
    assert.equal(s.requests.filter((r) => r.url.includes('/blobs/')).length, 6);
  } finally {
    await s.close();
  }
});

test('fetchBlob refuses a 206 that does not continue at the requested byte', async () => {
  const s = await serve((req, res, n) => {
    if (n === 0) return sendFrom(res, 0, { cutAfter: 200_000 });
    const from = rangeStart(req) - 10; // overlapping: would duplicate bytes
    res.writeHead(206, { 'Content-Range': `bytes ${from}-${blob.length - 1}/${blob.length}`, 'Content-Length': String(blob.length - from) });
    res.end(blob.subarray(from));
  });
  try {
    await assert.rejects(collect(s.repo), /answered a request for bytes \d+- with Content-Range "bytes \d+-3145744\/3145745"/);
  } finally {
    await s.close();
  }
});

test('fetchBlob stops on abort', async () => {
  const s = await serve((req, res) => sendFrom(res, rangeStart(req), { stallAfter: 100_000 }));
  try {
    const ac = new AbortController();
    const stream = s.repo.fetchBlob(desc, { signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(pipeline(stream, new Writable({ write: (_c, _e, cb) => cb() })), (err: Error) => err.name === 'AbortError');
  } finally {
    await s.close();
  }
});

test('fetchBlob of an empty blob verifies the empty digest without a request', async () => {
  const s = await serve((_req, res) => res.writeHead(500).end());
  try {
    const empty: Descriptor = { mediaType: 'application/octet-stream', digest: sha256Digest(''), size: 0 };
    assert.equal((await collect(s.repo, empty)).length, 0);
    assert.equal(s.requests.filter((r) => r.url.includes('/blobs/')).length, 0);
  } finally {
    await s.close();
  }
});
