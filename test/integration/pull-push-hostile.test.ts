/**
 * Hostile registries (a node HTTP server in the test) against a real berthd: wrong digests on
 * blobs and manifests, truncated and endless bodies, a connection cut mid-blob, bad JSON, configs
 * that lie about diff ids, layers that climb out of their root. Each gives a clear error and the
 * data root is exactly as before: no new blobs, snapshots, ingests or images.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { TestDaemon } from '../helpers/test-daemon.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';
import { apiPull, busyboxEntries, census } from '../helpers/pull-push-support.js';
import { sha256Digest } from '../../src/util/digest.js';
import { packEntries, type TarEntry } from '../../src/util/tar/index.js';
import { tarOf } from '../../src/util/tar/layer-fixtures.js';
import { mediaTypes } from '../../src/distribution/index.js';

let d: TestDaemon;
let reg: FakeRegistry;

interface Served {
  manifest: Buffer;
  blobs: Map<string, Buffer>;
  /** How to answer a blob GET (default: the bytes, with their length). */
  blob?: (digest: string, bytes: Buffer, res: ServerResponse) => void;
  /** Content-Type and Docker-Content-Digest of the manifest. */
  manifestType?: string;
  manifestDigest?: string;
}

const repos = new Map<string, Served>();

async function tar(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of packEntries(entries)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An image whose layers are the given tars (gzip), with a config naming `diffIds` (default the true ones). */
function image(layerTars: Buffer[], opts: { diffIds?: string[]; configBytes?: Buffer } = {}): Served {
  const blobs = new Map<string, Buffer>();
  const layers = layerTars.map((t) => {
    const gz = gzipSync(t);
    blobs.set(sha256Digest(gz), gz);
    return { mediaType: mediaTypes.dockerLayerGzip, digest: sha256Digest(gz), size: gz.length };
  });
  const config =
    opts.configBytes ??
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: opts.diffIds ?? layerTars.map((t) => sha256Digest(t)) } }));
  blobs.set(sha256Digest(config), config);
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config: { mediaType: mediaTypes.dockerConfig, digest: sha256Digest(config), size: config.length }, layers }),
  );
  return { manifest, blobs };
}

function handler(req: IncomingMessage, res: ServerResponse): boolean {
  const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/?]+)$/.exec(req.url ?? '');
  if (!m) return false;
  const served = repos.get(m[1]!);
  if (!served) return false;
  if (m[2] === 'manifests') {
    res.writeHead(200, {
      'Content-Type': served.manifestType ?? mediaTypes.dockerManifest,
      'Docker-Content-Digest': served.manifestDigest ?? sha256Digest(served.manifest),
      'Content-Length': served.manifest.length,
    });
    if (req.method === 'HEAD') res.end();
    else res.end(served.manifest);
    return true;
  }
  const bytes = served.blobs.get(m[3]!);
  if (!bytes) return false;
  if (served.blob && req.method === 'GET') served.blob(m[3]!, bytes, res);
  else {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length, 'Docker-Content-Digest': m[3]! });
    if (req.method === 'HEAD') res.end();
    else res.end(bytes);
  }
  return true;
}

let base: Buffer;
let big: Buffer;

before(async () => {
  reg = await startFakeRegistry(handler);
  d = await TestDaemon.start();
  base = await tar(busyboxEntries(['sh']));
  big = await tar([{ name: 'big', type: 'file', content: (await import('node:crypto')).randomBytes(2_000_000) }, { name: 'other', type: 'file', content: 'y' }]);
});

after(async () => {
  await d?.cleanup();
  await reg?.stop();
});

/** Pulls `repo` from the fake registry and checks the error and that nothing was stored. */
async function refused(repo: string, message: RegExp): Promise<void> {
  const before = await census(d);
  const r = await apiPull(d, `${reg.host}/${repo}`, 'latest');
  assert.ok(r.error, `${repo}: no error in ${r.text}`);
  assert.match(r.error!, message, repo);
  if (process.env.SHOW_ERRORS) console.log(`${repo}: ${r.error}`);
  assert.deepEqual(await census(d), before, `${repo} left something behind`);
  assert.equal((await d.api('GET', `/images/${reg.host}/${repo}:latest/json`)).status, 404);
}

test('a blob with other bytes than its digest', async () => {
  const s = image([base, big]);
  const target = [...s.blobs.keys()].find((k) => s.blobs.get(k)!.length > 1000 && k !== sha256Digest(gzipSync(base)))!;
  s.blob = (digest, bytes, res) => {
    const out = Buffer.from(bytes);
    if (digest === target) out[Math.floor(out.length / 2)] ^= 0xff;
    res.writeHead(200, { 'Content-Length': out.length }).end(out);
  };
  repos.set('wrong/blob', s);
  await refused('wrong/blob', /digest|verification|mismatch/i);
});

test('a manifest whose bytes are not its digest, and a manifest that is not JSON', async () => {
  const s = image([base]);
  s.manifestDigest = sha256Digest('something else');
  repos.set('wrong/manifest', s);
  await refused('wrong/manifest', /digest/i);
  const bad = image([base]);
  bad.manifest = Buffer.from('{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": ');
  repos.set('bad/json', bad);
  await refused('bad/json', /manifest invalid|not JSON/i);
});

test('truncated, cut and endless blob bodies', async () => {
  const cut = image([base, big]);
  const bigDigest = sha256Digest(gzipSync(big));
  const plain = (bytes: Buffer, res: ServerResponse) => res.writeHead(200, { 'Content-Length': bytes.length }).end(bytes);
  cut.blob = (digest, bytes, res) => {
    if (digest !== bigDigest) return plain(bytes, res);
    res.writeHead(200, { 'Content-Length': bytes.length });
    // Half the body arrives, then the connection dies, every time (resumes cannot finish either).
    res.write(bytes.subarray(0, bytes.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
  };
  repos.set('cut/blob', cut);
  await refused('cut/blob', /./);
  const endless = image([base, big]);
  endless.blob = (digest, bytes, res) => {
    if (digest !== bigDigest) return plain(bytes, res);
    // No length: the body goes on past the descriptor's size.
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.write(bytes);
    const more = (): void => {
      if (res.destroyed) return;
      if (res.write(Buffer.alloc(65536, 1))) setImmediate(more);
      else res.once('drain', more);
    };
    more();
  };
  repos.set('endless/blob', endless);
  await refused('endless/blob', /longer|more than|size|exceed/i);
});

test('a config that lies about its diff ids, a config that is not an image config', async () => {
  repos.set('lying/config', image([base, big], { diffIds: [sha256Digest(base), sha256Digest('not the big layer')] }));
  await refused('lying/config', /layers from manifest don't match image configuration/);
  repos.set('no/rootfs', image([base], { configBytes: Buffer.from('{"architecture":"amd64","os":"linux"}') }));
  await refused('no/rootfs', /invalid rootfs in image configuration/);
});

test('layers with entries escaping their root', async () => {
  const escapes: Array<[string, Buffer]> = [
    ['dotdot', await tarOf([{ header: { name: '../../../etc/berth-escape', type: 'file' }, content: 'x' }])],
    ['through/symlink', await tarOf([{ header: { name: 'link', type: 'symlink', linkname: '/etc' } }, { header: { name: 'link/berth-escape', type: 'file' }, content: 'x' }])],
    ['hardlink', await tarOf([{ header: { name: 'h', type: 'link', linkname: '../../../etc/passwd' } }])],
  ];
  for (const [name, layer] of escapes) {
    repos.set(`escape/${name}`, image([base, layer]));
    await refused(`escape/${name}`, /Cannot apply layer/);
  }
});

test('a good image from the same server pulls after all that, and the store is consistent', async () => {
  repos.set('good/image', image([base, big]));
  const r = await apiPull(d, `${reg.host}/good/image`, 'latest');
  assert.equal(r.error, undefined, r.text);
  const run = await d.docker(['run', '--rm', `${reg.host}/good/image`, 'sh', '-c', 'echo ok']);
  assert.equal(run.stdout, 'ok\n', run.stderr);
});
