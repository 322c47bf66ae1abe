/**
 * Hostile and broken archives sent to a real berthd's `POST /images/load`: each is refused with
 * a clear error and leaves blobs, snapshots, images and tags exactly as they were. Also: an
 * endless metadata file is refused while it is still being sent, and a kill -9 in the middle of
 * a load leaves nothing the next start does not remove.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sha256Digest } from '../../src/util/digest.js';
import { dockerArchiveOf, fixtureImage, ociArchiveOf } from '../../src/images/archive/archive-fixtures.js';
import { tarOf, type FixtureEntry } from '../../src/util/tar/layer-fixtures.js';
import { TestDaemon } from '../helpers/test-daemon.js';
import { appImage, busyboxLayer, loadArchive } from '../helpers/layered-images.js';

let d: TestDaemon;
let base: Buffer;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
  base = await busyboxLayer(d);
});

after(async () => {
  await d?.cleanup();
});

function dir(rel: string): string[] {
  const p = join(d.dataRoot, rel);
  return existsSync(p) ? readdirSync(p).sort() : [];
}

async function storeState(): Promise<string> {
  const images = ((await d.api('GET', '/images/json?all=1')).json as Array<{ Id: string; RepoTags: string[] }>).map((i) => `${i.Id} ${i.RepoTags.join(',')}`).sort();
  return JSON.stringify({ blobs: dir('content/blobs/sha256'), ingest: dir('content/ingest'), snapshots: dir('snapshots'), images });
}

/** A docker save archive of `img` with its parts replaced or added. */
async function dockerArchive(parts: { config?: string; configBytes?: Buffer; layers: FixtureEntry[]; manifestLayers: string[]; tags?: string[] | null; extra?: FixtureEntry[] }, imgConfig: Buffer, id: string): Promise<Buffer> {
  const config = parts.config ?? `${id.slice(7)}.json`;
  return tarOf([
    { header: { name: config }, content: parts.configBytes ?? imgConfig },
    ...parts.layers,
    ...(parts.extra ?? []),
    { header: { name: 'manifest.json' }, content: JSON.stringify([{ Config: config, RepoTags: parts.tags === undefined ? ['hostile:1'] : parts.tags, Layers: parts.manifestLayers }]) },
  ]);
}

test('hostile archives are refused with a clear error and change nothing in the store', async () => {
  const img = await appImage(base, { tags: ['hostile:1'] });
  const layerTars = [...img.tars.values()];
  const good: FixtureEntry[] = [
    { header: { name: 'a/layer.tar' }, content: layerTars[0]! },
    { header: { name: 'b/layer.tar' }, content: layerTars[1]! },
  ];
  const arch = (p: Parameters<typeof dockerArchive>[0]) => dockerArchive(p, img.configBytes, img.id);
  const escapingLayer = await tarOf([{ header: { name: 'ok' }, content: 'fine' }, { header: { name: '../../../escaped-by-layer' }, content: 'x' }]);
  const linkEscapeLayer = await tarOf([{ header: { name: 'evil', type: 'symlink', linkname: '/' } }, { header: { name: 'evil/etc/escaped' }, content: 'x' }]);
  const escapingImage = fixtureImage({ layers: [base, escapingLayer], tags: ['hostile:2'] });
  const linkImage = fixtureImage({ layers: [base, linkEscapeLayer], tags: ['hostile:3'] });
  const tampered = await tarOf([{ header: { name: 'app/version' }, content: 'evil\n' }]);
  const oci = await ociArchiveOf([img]);
  const ociBadBlob = Buffer.from(oci);
  ociBadBlob[ociBadBlob.indexOf(Buffer.from('to be deleted'))] = 'T'.charCodeAt(0);
  const complete = await dockerArchiveOf([img]);

  const cases: Array<[string, Buffer, RegExp]> = [
    ['an entry escaping the root', await arch({ layers: good, manifestLayers: ['a/layer.tar', 'b/layer.tar'], extra: [{ header: { name: '../../etc/cron.d/evil' }, content: 'x' }] }), /invalid archive: entry "\.\.\/\.\.\/etc\/cron\.d\/evil" escapes the archive/],
    ['an absolute entry', await arch({ layers: good, manifestLayers: ['a/layer.tar', 'b/layer.tar'], extra: [{ header: { name: '/etc/evil' }, content: 'x' }] }), /entry "\/etc\/evil" is an absolute path/],
    ['manifest.json pointing at ../', await arch({ layers: good, manifestLayers: ['a/layer.tar', '../../var/lib/berth/x'] }), /manifest\.json\[0\]\.Layers\[1\] "\.\.\/\.\.\/var\/lib\/berth\/x" escapes the archive/],
    ['manifest.json pointing at an absolute path', await arch({ layers: good, manifestLayers: ['/etc/passwd', 'b/layer.tar'] }), /Layers\[0\] "\/etc\/passwd" is an absolute path/],
    ['a config path escaping', await arch({ config: '../config.json', layers: good, manifestLayers: ['a/layer.tar', 'b/layer.tar'] }), /entry "\.\.\/config\.json" escapes the archive/],
    ['a symlink reaching outside', await arch({ layers: [good[0]!, { header: { name: 'b/layer.tar', type: 'symlink', linkname: '../../../../etc/shadow' } }], manifestLayers: ['a/layer.tar', 'b/layer.tar'] }), /symlink "b\/layer\.tar" points outside the archive/],
    ['an absolute symlink', await arch({ layers: [good[0]!, { header: { name: 'b', type: 'symlink', linkname: '/etc' } }], manifestLayers: ['a/layer.tar', 'b/shadow'] }), /symlink "b" points at the absolute path "\/etc"/],
    ['a huge manifest.json', withSize(await tarOf([{ header: { name: 'manifest.json' }, content: '[]' }]), 2 ** 40), /manifest\.json is 1099511627776 bytes, more than the 8388608 bytes/],
    ['a config whose digest is not the image id', await arch({ configBytes: Buffer.from(img.configBytes.toString().replace('"sh"', '"/app/run.sh"').replace('run.sh', 'run.sh ')), layers: good, manifestLayers: ['a/layer.tar', 'b/layer.tar'] }), /the config [a-f0-9]{64}\.json has the digest sha256:[a-f0-9]{64}, not the image id its name gives/],
    ['a layer that is not the diff_id the config names', await arch({ layers: [good[0]!, { header: { name: 'b/layer.tar' }, content: tampered }], manifestLayers: ['a/layer.tar', 'b/layer.tar'] }), /invalid diffID for layer 1: expected "sha256:[a-f0-9]{64}", got "sha256:[a-f0-9]{64}"/],
    ['too few layers', await arch({ layers: good, manifestLayers: ['a/layer.tar'] }), /invalid manifest, layers length mismatch: expected 1, got 2/],
    ['an OCI blob that does not match its name', ociBadBlob, /has the digest sha256:[a-f0-9]{64}, not the one its name gives/],
    ['a truncated archive', complete.subarray(0, Math.floor(complete.length / 2)), /invalid archive: cannot read the tar stream/],
    ['a layer with a path escape', await dockerArchiveOf([escapingImage]), /Cannot apply layer: entry "\.\.\/\.\.\/\.\.\/escaped-by-layer" escapes the root/],
    ['a layer writing through its own symlink', await dockerArchiveOf([linkImage]), /Cannot apply layer: entry "evil\/etc\/escaped"/],
    ['not a tar at all', randomBytes(4096), /invalid archive/],
    ['a device node in the archive', await arch({ layers: good, manifestLayers: ['a/layer.tar', 'b/layer.tar'], extra: [{ header: { name: 'dev', type: 'block-device', devmajor: 8, devminor: 0 } }] }), /entry "dev" has the unsupported type block-device/],
    ['an invalid tag', await arch({ layers: good, manifestLayers: ['a/layer.tar', 'b/layer.tar'], tags: ['UPPER:case'] }), /RepoTags entry "UPPER:case"/],
  ];
  const before = await storeState();
  for (const [what, archive, re] of cases) {
    const msgs = await loadArchive(d, archive);
    assert.equal(msgs.length, 1, `${what}: ${JSON.stringify(msgs)}`);
    assert.match(msgs[0]!.error ?? '', re, what);
    assert.equal(await storeState(), before, `${what}: the store is unchanged`);
  }
  assert.ok(!existsSync('/escaped-by-layer') && !existsSync('/etc/escaped') && !existsSync(join(d.dataRoot, '..', 'escaped-by-layer')));
  // The same image, whole, still loads: nothing of the refusals got in its way.
  assert.deepEqual(await loadArchive(d, complete), [{ stream: 'Loaded image: hostile:1\n' }]);
  await d.api('DELETE', '/images/hostile:1');
});

/** The archive with its first header's size field rewritten as base-256 (GNU) to `size`. */
function withSize(archive: Buffer, size: number): Buffer {
  const b = Buffer.from(archive);
  const field = Buffer.alloc(12);
  field[0] = 0x80;
  let v = size;
  for (let i = 11; i > 0; i--) {
    field[i] = v % 256;
    v = Math.floor(v / 256);
  }
  field.copy(b, 124);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

test('an endless manifest.json is refused while the client is still sending it', async () => {
  const before = await storeState();
  const header = withSize(await tarOf([{ header: { name: 'manifest.json' }, content: '[' }]), 2 ** 36).subarray(0, 512);
  const answer = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: '/images/load', headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        clearInterval(timer);
        req.destroy();
        resolve(text);
      });
    });
    req.on('error', reject);
    req.write(header);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const timer = setInterval(() => {
      req.write(chunk);
      sent += chunk.length;
      if (sent > 256 * 1024 * 1024) {
        clearInterval(timer);
        reject(new Error('the daemon kept reading an endless manifest.json'));
      }
    }, 1);
  });
  assert.match(JSON.parse(answer.trim()).error, /manifest\.json is 68719476736 bytes, more than the 8388608 bytes a metadata file may have/);
  assert.equal(await storeState(), before);
});

test('a gc running while a load holds stored layers does not take them', async () => {
  const layers = await Promise.all([1, 2, 3].map((i) => tarOf([{ header: { name: `layer-${i}` }, content: randomBytes(2 << 20) }])));
  const img = fixtureImage({ layers: [base, ...layers], tags: ['racing:1'] });
  const archive = await dockerArchiveOf([img]);
  const side = await appImage(base, { tags: ['side:1'] });
  await loadArchive(d, await dockerArchiveOf([side]));
  const before = dir('content/blobs/sha256');
  const blobsBefore = before.length;
  let text = '';
  const done = new Promise<void>((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: '/images/load', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': archive.length } }, (res) => {
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    // Everything but the manifest (last): the layers are stored, nothing references them yet.
    req.write(archive.subarray(0, archive.length - 4096));
    void d
      .until('the load to store its layers', async () => dir('content/blobs/sha256').length >= blobsBefore + 3, 60_000)
      .then(async () => {
        const held = dir('content/blobs/sha256').filter((b) => !before.includes(b));
        // rmi runs the gc, prune too: neither may take what the load holds.
        assert.equal((await d.api('DELETE', '/images/side:1')).status, 200);
        assert.equal((await d.api('POST', '/images/prune')).status, 200);
        const after = dir('content/blobs/sha256');
        assert.deepEqual(held.filter((b) => !after.includes(b)), [], 'the stored layers survived the gc');
        req.end(archive.subarray(archive.length - 4096));
      })
      .catch(reject);
  });
  await done;
  assert.equal(text.trim(), JSON.stringify({ stream: 'Loaded image: racing:1\n' }));
  const r = await d.berth(['run', '--rm', 'racing:1', 'sh', '-c', 'wc -c < /layer-3']);
  assert.equal(r.stdout.trim(), String(2 << 20));
  await d.api('DELETE', '/images/racing:1');
});

test('kill -9 in the middle of a load: the next start removes what it left, and the load then succeeds', async () => {
  const big = await Promise.all([1, 2, 3, 4].map((i) => tarOf([{ header: { name: `big-${i}` }, content: randomBytes(8 << 20) }])));
  const img = fixtureImage({ layers: [base, ...big], tags: ['crashed:1'] });
  const archive = await dockerArchiveOf([img]);
  const before = await storeState();
  const blobsBefore = dir('content/blobs/sha256').length;
  const req = request({ socketPath: d.socket, method: 'POST', path: '/images/load', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': archive.length } });
  req.on('error', () => {});
  // Send all but the manifest (it comes last), so the daemon is stuck holding stored layers.
  req.write(archive.subarray(0, archive.length - 4096));
  await d.until('the load to store layers', async () => dir('content/blobs/sha256').length >= blobsBefore + 4, 60_000);
  await d.kill9();
  req.destroy();
  await d.restart();
  assert.equal(await storeState(), before, 'start-up removed the half-loaded blobs');
  assert.deepEqual(await loadArchive(d, archive), [{ stream: 'Loaded image: crashed:1\n' }]);
  const r = await d.berth(['run', '--rm', 'crashed:1', 'sh', '-c', 'wc -c < /big-4']);
  assert.equal(r.stdout.trim(), String(8 << 20));
  assert.equal(sha256Digest(big[3]!), img.layers[4]!.diffId);
});
