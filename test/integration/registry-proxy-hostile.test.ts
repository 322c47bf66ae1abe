/**
 * A pull-through cache (`berth registry serve --proxy-remote-url`, a real process) in front of a
 * hostile upstream (a node http server on 127.0.0.1): manifests that do not match their digest,
 * blobs with the right size and the wrong bytes, truncated and overlong blobs. The client gets an
 * error — for blobs, a response aborted before its last byte, never a complete one — and nothing
 * is cached (checked in the storage directory). And a kill -9 in the middle of a download leaves
 * nothing the restart does not clear.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Digest, type Digest } from '../../src/util/digest.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { makeImage } from '../helpers/oci-content.js';
import { call, removeDir, startRegistry, type RegistryProcess } from '../helpers/registry-process.js';

const ociManifest = 'application/vnd.oci.image.manifest.v1+json';

/** What the hostile upstream serves: by path, a function answering the request. */
type Route = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
const routes = new Map<string, Route>();
let upstream: FakeRegistry;
let proxy: RegistryProcess;

test.before(async () => {
  upstream = await startFakeRegistry((req, res) => {
    const route = routes.get(req.url!);
    if (!route) return false;
    route(req, res);
    return true;
  });
  proxy = await startRegistry({ args: ['--proxy-remote-url', `http://${upstream.host}`] });
});

test.after(async () => {
  await proxy?.stop();
  if (proxy) removeDir(proxy.root);
  await upstream?.stop();
});

function blobFiles(root: string): string[] {
  const dir = join(root, 'blobs', 'sha256');
  return existsSync(dir) ? readdirSync(dir).flatMap((p) => readdirSync(join(dir, p))) : [];
}

function assertNothingCached(root: string, digests: Digest[]): void {
  const files = blobFiles(root);
  for (const d of digests) assert.equal(files.includes(d.slice(7)), false, `${d} not stored`);
  assert.deepEqual(readdirSync(join(root, 'ingest')), [], 'no ingest file left');
  const links = join(root, 'repositories', 'hostile', 'app', '_layers', 'sha256');
  for (const d of digests) assert.equal(existsSync(join(links, d.slice(7))), false, `${d} not linked`);
}

/** A blob route: HEAD tells `size`, GET runs `body`. */
function blobRoute(d: Digest, size: number, body: Route): void {
  routes.set(`/v2/hostile/app/blobs/${d}`, (req, res) => {
    if (req.method === 'HEAD') res.writeHead(200, { 'Content-Length': size, 'Docker-Content-Digest': d }).end();
    else body(req, res);
  });
}

const gets = (d: Digest) => upstream.requests.filter((r) => r.method === 'GET' && r.url === `/v2/hostile/app/blobs/${d}`).length;

/** Reads a response to its end; rejects when the connection breaks first. Returns the bytes. */
async function readThrough(url: string): Promise<{ status: number; length: number; bytes: Promise<Buffer> }> {
  const r = await fetch(url);
  return { status: r.status, length: Number(r.headers.get('content-length')), bytes: r.arrayBuffer().then((b) => Buffer.from(b)) };
}

test('manifests that do not match their digest (requested or announced) are refused: 502, nothing stored', async () => {
  const good = makeImage([10], 'oci', 'good');
  const other = makeImage([10], 'oci', 'other');
  routes.set(`/v2/hostile/app/manifests/${good.manifestDesc.digest}`, (_req, res) => {
    res.writeHead(200, { 'Content-Type': ociManifest, 'Content-Length': other.manifest.length }).end(other.manifest);
  });
  routes.set('/v2/hostile/app/manifests/lying', (_req, res) => {
    res.writeHead(200, { 'Content-Type': ociManifest, 'Content-Length': good.manifest.length, 'Docker-Content-Digest': other.manifestDesc.digest }).end(good.manifest);
  });
  routes.set('/v2/hostile/app/manifests/garbage', (_req, res) => {
    res.writeHead(200, { 'Content-Type': ociManifest, 'Content-Length': 9 }).end('{"schema');
  });
  for (const ref of [good.manifestDesc.digest, 'lying', 'garbage']) {
    const r = await call(`${proxy.url}/v2/hostile/app/manifests/${ref}`, { headers: { Accept: ociManifest } });
    assert.equal(r.status, 502, ref);
    assert.equal(r.json.errors[0].code, 'UNKNOWN');
    assert.match(r.json.errors[0].message, /upstream registry http:\/\/127\.0\.0\.1:\d+ failed for manifest/);
  }
  assertNothingCached(proxy.root, [good.manifestDesc.digest, other.manifestDesc.digest]);
  assert.equal(existsSync(join(proxy.root, 'repositories', 'hostile', 'app', '_manifests')), false, 'no revision, no tag');
});

test('a blob with the right size and the wrong bytes: the response is aborted before its last byte, nothing cached', async () => {
  const claimed = randomBytes(2 * 1024 * 1024);
  const d = sha256Digest(claimed);
  const sent = randomBytes(claimed.length);
  blobRoute(d, claimed.length, (_req, res) => res.writeHead(200, { 'Content-Length': sent.length }).end(sent));
  const r = await readThrough(`${proxy.url}/v2/hostile/app/blobs/${d}`);
  assert.equal(r.status, 200, 'the answer started before the bytes were known bad');
  assert.equal(r.length, claimed.length);
  await assert.rejects(r.bytes, 'the client never gets a complete response');
  assert.equal(gets(d), 1, 'a verification failure is not retried');
  assertNothingCached(proxy.root, [d]);
  // Asked again: again an error (nothing bad was kept to be served).
  const again = await readThrough(`${proxy.url}/v2/hostile/app/blobs/${d}`);
  await assert.rejects(again.bytes);
  assertNothingCached(proxy.root, [d]);
});

test('a truncated blob (the connection cut mid-body, every attempt): aborted, nothing cached', async () => {
  const blob = randomBytes(1024 * 1024);
  const d = sha256Digest(blob);
  blobRoute(d, blob.length, (_req, res) => {
    res.writeHead(200, { 'Content-Length': blob.length });
    res.write(blob.subarray(0, 300_000), () => res.destroy());
  });
  const r = await readThrough(`${proxy.url}/v2/hostile/app/blobs/${d}`);
  assert.equal(r.status, 200);
  await assert.rejects(r.bytes);
  assert.ok(gets(d) >= 2, `the download was resumed before giving up (${gets(d)} GETs)`);
  assertNothingCached(proxy.root, [d]);
  const failed = (await call(`${proxy.url}/metrics`)).body.toString();
  assert.match(failed, /^berth_registry_proxy_blob_fetches_total\{outcome="failed"\} [2-9]$/m);
});

test('a blob longer than upstream announced (chunked, no length): aborted, nothing cached', async () => {
  const blob = randomBytes(500_000);
  const d = sha256Digest(blob);
  blobRoute(d, blob.length, (_req, res) => {
    res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
    res.end(Buffer.concat([blob, Buffer.from('trailing garbage')]));
  });
  const r = await readThrough(`${proxy.url}/v2/hostile/app/blobs/${d}`);
  await assert.rejects(r.bytes);
  assertNothingCached(proxy.root, [d]);
});

test('a failure before any byte (upstream HEAD says a size, GET answers 404) is an error response, not a broken 200', async () => {
  const blob = randomBytes(1000);
  const d = sha256Digest(blob);
  blobRoute(d, blob.length, (_req, res) => res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"gone"}]}'));
  const r = await call(`${proxy.url}/v2/hostile/app/blobs/${d}`);
  assert.equal(r.status, 502);
  assert.equal(r.json.errors[0].code, 'UNKNOWN');
  assertNothingCached(proxy.root, [d]);
});

test('kill -9 while a blob downloads: the restart clears the half-written ingest, and the next pull stores it whole', async () => {
  const blob = randomBytes(4 * 1024 * 1024);
  const d = sha256Digest(blob);
  let stall = true;
  blobRoute(d, blob.length, (_req, res) => {
    res.writeHead(200, { 'Content-Length': blob.length });
    if (stall) res.write(blob.subarray(0, 1024 * 1024)); // then nothing: the download hangs
    else res.end(blob);
  });
  const root = proxy.root;
  const pending = fetch(`${proxy.url}/v2/hostile/app/blobs/${d}`).then((r) => r.arrayBuffer()).catch((e: unknown) => e);
  const ingest = join(root, 'ingest');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !readdirSync(ingest).some((n) => statSync(join(ingest, n)).size >= 1024 * 1024)) await sleep(20);
  assert.ok(readdirSync(ingest).length > 0, 'caught the download in its ingest file');
  await proxy.kill9();
  assert.ok((await pending) instanceof Error, 'the client saw the connection die');
  assert.ok(readdirSync(ingest).length > 0, 'the crash left the ingest file');

  proxy = await startRegistry({ root, args: ['--proxy-remote-url', `http://${upstream.host}`] });
  assertNothingCached(root, [d]);
  stall = false;
  const r = await call(`${proxy.url}/v2/hostile/app/blobs/${d}`);
  assert.equal(r.status, 200);
  assert.ok(r.body.equals(blob));
  for (let i = 0; i < 500 && !blobFiles(root).includes(d.slice(7)); i++) await sleep(20);
  assert.ok(blobFiles(root).includes(d.slice(7)), 'stored whole this time');
  assert.deepEqual(readdirSync(ingest), []);
});
