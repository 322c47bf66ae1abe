/**
 * skopeo (a real client, containers/image) against `berth registry serve` started as its own
 * process: copy a multi-layer image in, list tags, copy out by tag and by digest, copy across
 * repositories (a cross-repository mount), delete, and check what lies in the storage directory.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Digest } from '../../src/util/digest.js';
import { makeImage, writeOciLayout, type TestImage } from '../helpers/registry-fixtures.js';
import { call, makeTempDir, removeDir, run, startRegistry, type RegistryProcess } from '../helpers/registry-process.js';

let reg: RegistryProcess;
let image: TestImage;
let work: string;

test.before(async () => {
  work = makeTempDir('berth-skopeo-');
  image = await makeImage({ seed: 'skopeo', layerCount: 3, layerBytes: 300_000 });
  writeOciLayout(join(work, 'src'), image, 'latest');
  reg = await startRegistry({ args: ['--delete-enabled'] });
});

test.after(async () => {
  await reg?.stop();
  removeDir(work);
  if (reg) removeDir(reg.root);
});

async function skopeo(...args: string[]) {
  const r = await run('skopeo', args, { timeoutMs: 180_000 });
  return r;
}

test('skopeo copies a multi-layer OCI image in, and the storage holds exactly its verified blobs', async () => {
  const r = await skopeo('copy', '--dest-tls-verify=false', `oci:${join(work, 'src')}:latest`, `docker://${reg.host}/team/app:v1`);
  assert.equal(r.code, 0, r.stderr);
  const r2 = await skopeo('copy', '--dest-tls-verify=false', `oci:${join(work, 'src')}:latest`, `docker://${reg.host}/team/app:v2`);
  assert.equal(r2.code, 0, r2.stderr);
  // Every blob on disk is named by the digest of its bytes, and the image's are all there.
  const onDisk = new Map<string, Buffer>();
  const blobs = join(reg.root, 'blobs', 'sha256');
  for (const p of readdirSync(blobs)) for (const hex of readdirSync(join(blobs, p))) onDisk.set(`sha256:${hex}`, readFileSync(join(blobs, p, hex)));
  for (const [d, bytes] of onDisk) assert.equal(sha256Digest(bytes), d);
  for (const b of [image.config, ...image.layers, image.manifest]) assert.ok(onDisk.has(b.digest), `blob ${b.digest} stored`);
  assert.deepEqual(readdirSync(join(reg.root, 'uploads')), [], 'no upload left behind');
});

test('skopeo lists the tags and inspects the manifest byte for byte', async () => {
  const tags = await skopeo('list-tags', '--tls-verify=false', `docker://${reg.host}/team/app`);
  assert.equal(tags.code, 0, tags.stderr);
  assert.deepEqual(JSON.parse(tags.stdout).Tags, ['v1', 'v2']);
  const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/app:v1`);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(sha256Digest(Buffer.from(raw.stdout)), image.manifest.digest);
  const got = await call(`${reg.url}/v2/team/app/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(got.headers.get('content-type'), 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(got.headers.get('docker-content-digest'), image.manifest.digest);
});

test('skopeo copies the image out by tag and by digest, unchanged', async () => {
  const out = join(work, 'out');
  const r = await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/team/app:v1`, `oci:${out}:copy`);
  assert.equal(r.code, 0, r.stderr);
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].digest, image.manifest.digest);
  for (const l of image.layers) assert.deepEqual(readFileSync(join(out, 'blobs', 'sha256', l.digest.slice(7))), l.bytes);

  const dir = join(work, 'bydigest');
  const r2 = await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/team/app@${image.manifest.digest}`, `dir:${dir}`);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(sha256Digest(readFileSync(join(dir, 'manifest.json'))), image.manifest.digest);
  assert.deepEqual(readFileSync(join(dir, image.config.digest.slice(7))), image.config.bytes);
});

test('skopeo copies between repositories of the registry (blobs mounted, not uploaded again)', async () => {
  const r = await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.host}/team/app:v1`, `docker://${reg.host}/other/app:copied`);
  assert.equal(r.code, 0, r.stderr);
  const head = await call(`${reg.url}/v2/other/app/blobs/${image.layers[0]!.digest}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(image.layers[0]!.bytes.length));
  assert.match(reg.logs(), /"method":"POST","path":"\/v2\/other\/app\/blobs\/uploads\/","route":"uploads","status":201/, 'a mount answered 201');
  const catalog = await call(`${reg.url}/v2/_catalog`);
  assert.deepEqual(catalog.json.repositories, ['other/app', 'team/app']);
});

test('skopeo deletes the image: the manifest and its tags are gone from that repository only', async () => {
  const r = await skopeo('delete', '--tls-verify=false', `docker://${reg.host}/team/app:v1`);
  assert.equal(r.code, 0, r.stderr);
  const inspect = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/app:v1`);
  assert.notEqual(inspect.code, 0);
  assert.match(inspect.stderr, /manifest unknown/i);
  const tags = await skopeo('list-tags', '--tls-verify=false', `docker://${reg.host}/team/app`);
  assert.deepEqual(JSON.parse(tags.stdout).Tags, [], 'v2 pointed at the same digest and went with it');
  const other = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/other/app:copied`);
  assert.equal(other.code, 0, other.stderr);
});
