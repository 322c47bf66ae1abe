/**
 * kill -9 of berthd in the middle of a pull: a registry in the test serves the second layer
 * slowly; berthd is killed once that layer is half downloaded and half unpacked (an ingest and a
 * temp snapshot directory exist) and the first is committed. The next start removes both, and
 * collects what no image references (the committed first layer too); the next pull completes
 * and the image runs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TestDaemon } from '../helpers/test-daemon.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { apiPull, busyboxEntries } from '../helpers/pull-push-support.js';
import { sha256Digest } from '../../src/util/digest.js';
import { packEntries, type TarEntry } from '../../src/util/tar/index.js';
import { mediaTypes } from '../../src/distribution/index.js';
import { openDatabase } from '../../src/state/index.js';

let d: TestDaemon;
let reg: FakeRegistry;
let slow = true;
const blobs = new Map<string, Buffer>();
let manifest: Buffer;
let bigDigest: string;
let baseDigest: string;

async function tar(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of packEntries(entries)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function handler(req: IncomingMessage, res: ServerResponse): boolean {
  const m = /^\/v2\/crash\/app\/(manifests|blobs)\/([^/?]+)$/.exec(req.url ?? '');
  if (!m) return false;
  if (m[1] === 'manifests') {
    res.writeHead(200, { 'Content-Type': mediaTypes.dockerManifest, 'Docker-Content-Digest': sha256Digest(manifest), 'Content-Length': manifest.length });
    res.end(req.method === 'HEAD' ? undefined : manifest);
    return true;
  }
  const bytes = blobs.get(m[2]!);
  if (!bytes) return false;
  res.writeHead(200, { 'Content-Length': bytes.length, 'Content-Type': 'application/octet-stream' });
  if (req.method === 'HEAD') return void res.end(), true;
  if (!slow || m[2] !== bigDigest) return void res.end(bytes), true;
  // 256 kB every 50 ms: the pull is still busy with this layer when the test kills berthd.
  let off = 0;
  const tick = (): void => {
    if (res.destroyed) return;
    const next = bytes.subarray(off, off + 256 * 1024);
    off += next.length;
    if (off >= bytes.length) return void res.end(next);
    res.write(next);
    setTimeout(tick, 50);
  };
  tick();
  return true;
}

before(async () => {
  const base = await tar(busyboxEntries(['sh', 'cat', 'echo']));
  const big = await tar([
    { name: 'payload', type: 'directory' },
    ...Array.from({ length: 40 }, (_, i): TarEntry => ({ name: `payload/part${i}`, type: 'file', content: randomBytes(256 * 1024) })),
  ]);
  const layers = [base, big].map((t) => {
    const gz = gzipSync(t, { level: 1 });
    blobs.set(sha256Digest(gz), gz);
    return { mediaType: mediaTypes.dockerLayerGzip, digest: sha256Digest(gz), size: gz.length };
  });
  baseDigest = layers[0]!.digest;
  bigDigest = layers[1]!.digest;
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha256Digest(base), sha256Digest(big)] } }),
  );
  blobs.set(sha256Digest(config), config);
  manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config: { mediaType: mediaTypes.dockerConfig, digest: sha256Digest(config), size: config.length }, layers }),
  );
  reg = await startFakeRegistry(handler);
  d = await TestDaemon.start();
});

after(async () => {
  await d?.cleanup();
  await reg?.stop();
});

function ls(p: string): string[] {
  return existsSync(p) ? readdirSync(p) : [];
}

test('kill -9 mid-pull: the next start cleans ingests and half-made snapshots, the next pull completes', async () => {
  const ingest = join(d.dataRoot, 'content', 'ingest');
  const snapshots = join(d.dataRoot, 'snapshots');
  const pulling = apiPull(d, `${reg.host}/crash/app`, 'latest').catch((e: unknown) => e);
  await d.until('the big layer half downloaded', async () => {
    const temp = ls(snapshots).filter((n) => n.startsWith('tmp-'));
    return ls(ingest).length > 0 && temp.length > 0 && reg.requests.some((r) => r.url.endsWith(bigDigest));
  }, 60_000);
  // The small layer is committed by now (it was fetched at full speed).
  await d.until('the base layer committed', async () => ls(join(d.dataRoot, 'content', 'blobs', 'sha256')).includes(baseDigest.slice(7)), 30_000);
  await d.kill9();
  await pulling;
  assert.ok(ls(ingest).length > 0, 'an ingest was left by the crash');
  assert.ok(ls(snapshots).some((n) => n.startsWith('tmp-')), 'a temp snapshot was left by the crash');

  await d.restart();
  assert.deepEqual(ls(ingest), []);
  assert.deepEqual(ls(snapshots).filter((n) => n.startsWith('tmp-')), []);
  const db = openDatabase(join(d.dataRoot, 'state.db'));
  try {
    assert.deepEqual(db.prepare("SELECT count(*) AS n FROM snapshots WHERE state != 'ready'").get(), { n: 0 });
  } finally {
    db.close();
  }
  assert.equal((await d.api('GET', `/images/${reg.host}/crash/app:latest/json`)).status, 404);

  // Start-up garbage collection: nothing unreferenced is left (blobs, layers).
  assert.deepEqual(ls(join(d.dataRoot, 'content', 'blobs', 'sha256')), []);
  assert.deepEqual(ls(snapshots).filter((n) => n !== 'empty'), []);

  slow = false;
  const r = await apiPull(d, `${reg.host}/crash/app`, 'latest');
  assert.equal(r.error, undefined, r.text);
  assert.equal(r.lines.at(-1), `Status: Downloaded newer image for ${reg.host}/crash/app:latest`);
  assert.ok(r.lines.includes(`${baseDigest.slice(7, 19)}: Pull complete`), r.text);
  const out = await d.docker(['run', '--rm', `${reg.host}/crash/app`, 'sh', '-c', 'cat /payload/part39 | wc -c']);
  assert.equal(out.stdout.trim(), String(256 * 1024), out.stderr);
});
