/**
 * Interop with skopeo (the containers/image library): archives skopeo writes (docker-archive,
 * oci directories tarred up, oci-archive; uncompressed and gzip layers) load into berthd, and
 * what berthd saves in both formats is read back by skopeo (inspect and copy). Content is
 * checked by running containers from what was loaded.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerArchiveOf } from '../../src/images/archive/archive-fixtures.js';
import { TestDaemon, run } from '../helpers/test-daemon.js';
import { appImage, busyboxLayer, loadArchive } from '../helpers/layered-images.js';
import type { FixtureImage } from '../../src/images/archive/archive-fixtures.js';

let d: TestDaemon;
let work: string;
let v2: FixtureImage;

before(async () => {
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
  v2 = await appImage(await busyboxLayer(d), { tags: ['app:2', 'app:latest'], v2: true });
  assert.deepEqual(await loadArchive(d, await dockerArchiveOf([v2])), [{ stream: 'Loaded image: app:2\n' }, { stream: 'Loaded image: app:latest\n' }]);
  work = join(d.dir, 'skopeo');
  mkdirSync(work);
});

after(async () => {
  await d?.cleanup();
});

async function skopeo(...args: string[]): Promise<string> {
  const r = await run('skopeo', ['--insecure-policy', ...args], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `skopeo ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function tarDir(dir: string, file: string): Promise<Buffer> {
  const r = await run('tar', ['-C', dir, '-cf', file, '.']);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(file);
}

async function saved(query: string): Promise<Buffer> {
  const r = await d.api('GET', `/images/get?${query}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

async function contentOf(image: string): Promise<string> {
  const r = await d.berth(['run', '--rm', image, 'sh', '-c', 'cat /app/version; ls /app; /app/run.sh']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const v2Content = 'v2\nlatest\nrun.sh\nversion\nversion-link\nrunning v2\n';

test("skopeo reads berth's docker save archive: inspect, and copy to an OCI layout", async () => {
  const file = join(work, 'berth-docker.tar');
  writeFileSync(file, await saved('names=app&names=busybox'));
  const info = JSON.parse(await skopeo('inspect', `docker-archive:${file}:app:2`));
  assert.deepEqual(info.Layers, v2.config.rootfs.diff_ids);
  assert.equal(info.Architecture, 'amd64');
  assert.equal(info.Name, 'docker.io/library/app');
  const config = JSON.parse(await skopeo('inspect', '--config', `docker-archive:${file}:app:2`));
  assert.deepEqual(config.config.Cmd, ['/app/run.sh']);
  const bb = JSON.parse(await skopeo('inspect', `docker-archive:${file}:busybox:latest`));
  assert.equal(bb.Layers.length, 1);
  await skopeo('copy', `docker-archive:${file}:app:latest`, `oci:${join(work, 'from-berth')}:app:copied`);
  const index = JSON.parse(readFileSync(join(work, 'from-berth', 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'app:copied');
});

test("skopeo reads berth's OCI layout once untarred: inspect and copy to a docker-archive", async () => {
  const dir = join(work, 'berth-oci');
  mkdirSync(dir);
  writeFileSync(join(work, 'berth-oci.tar'), await saved('names=app:2&format=oci'));
  const r = await run('tar', ['-C', dir, '-xf', join(work, 'berth-oci.tar')]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(await skopeo('inspect', `oci:${dir}:2`));
  assert.deepEqual(info.Layers, v2.layers.map((l) => l.digest));
  const config = JSON.parse(await skopeo('inspect', '--config', `oci:${dir}:2`));
  assert.deepEqual(config.rootfs.diff_ids, v2.config.rootfs.diff_ids);
  const back = join(work, 'skopeo-docker.tar');
  await skopeo('copy', `oci:${dir}:2`, `docker-archive:${back}:skopeo/app:from-oci`);
  assert.deepEqual(await loadArchive(d, readFileSync(back)), [{ stream: 'Loaded image: skopeo/app:from-oci\n' }]);
  assert.equal(await contentOf('skopeo/app:from-oci'), v2Content);
});

test('archives skopeo writes load into berth: an oci directory (plain and gzip layers), an oci-archive, a docker-archive with two tags', async () => {
  const src = join(work, 'src.tar');
  writeFileSync(src, await saved('names=app:2'));
  // An OCI layout as skopeo writes it, layers as they were (uncompressed), then tarred.
  const plain = join(work, 'oci-plain');
  await skopeo('copy', `docker-archive:${src}:app:2`, `oci:${plain}:skopeo/plain:1`);
  assert.deepEqual(await loadArchive(d, await tarDir(plain, join(work, 'oci-plain.tar'))), [{ stream: 'Loaded image: skopeo/plain:1\n' }]);
  assert.equal(await contentOf('skopeo/plain:1'), v2Content);

  // Recompressed with gzip: new layer blobs, the same diff ids, verified while unpacking.
  const gz = join(work, 'oci-gzip');
  await skopeo('copy', '--dest-compress', '--dest-compress-format', 'gzip', `docker-archive:${src}:app:2`, `oci:${gz}:skopeo/gzip:1`);
  const manifest = JSON.parse(readFileSync(join(gz, 'blobs', 'sha256', JSON.parse(readFileSync(join(gz, 'index.json'), 'utf8')).manifests[0].digest.slice(7)), 'utf8'));
  assert.ok(manifest.layers.every((l: { mediaType: string }) => l.mediaType.endsWith('+gzip')), 'skopeo wrote gzip layers');
  await d.api('DELETE', '/images/skopeo/plain:1');
  await d.api('DELETE', '/images/app:2');
  await d.api('DELETE', '/images/app:latest');
  assert.deepEqual(await loadArchive(d, await tarDir(gz, join(work, 'oci-gzip.tar'))), [{ stream: 'Loaded image: skopeo/gzip:1\n' }]);
  const inspect = (await d.api('GET', '/images/skopeo/gzip:1/json')).json;
  assert.equal(inspect.Id, manifest.config.digest, "the image id is the digest of skopeo's config, kept byte for byte");
  assert.deepEqual(inspect.RootFS.Layers, v2.config.rootfs.diff_ids);
  assert.equal(await contentOf('skopeo/gzip:1'), v2Content);

  // An oci-archive (the layout in one tar, as skopeo and podman write it).
  const oa = join(work, 'oci-archive.tar');
  await skopeo('copy', `oci:${gz}:skopeo/gzip:1`, `oci-archive:${oa}:skopeo/archived:7`);
  assert.deepEqual(await loadArchive(d, readFileSync(oa)), [{ stream: 'Loaded image: skopeo/archived:7\n' }]);
  assert.equal(await contentOf('skopeo/archived:7'), v2Content);

  // A docker-archive skopeo writes, with a second tag.
  const da = join(work, 'skopeo-two-tags.tar');
  await skopeo('copy', '--additional-tag', 'skopeo/two:b', `oci:${plain}:skopeo/plain:1`, `docker-archive:${da}:skopeo/two:a`);
  assert.deepEqual(await loadArchive(d, readFileSync(da)), [{ stream: 'Loaded image: skopeo/two:a\n' }, { stream: 'Loaded image: skopeo/two:b\n' }]);
  assert.equal(await contentOf('skopeo/two:b'), v2Content);
});

test('zstd layers from skopeo load', async () => {
  const src = join(work, 'zsrc.tar');
  writeFileSync(src, await saved('names=skopeo/two:a'));
  const z = join(work, 'oci-zstd');
  await skopeo('copy', '--dest-compress', '--dest-compress-format', 'zstd', `docker-archive:${src}:skopeo/two:a`, `oci:${z}:skopeo/zstd:1`);
  // New blobs, so the layers must really be unpacked: drop every image that shares them first.
  for (const t of ['skopeo/two:a', 'skopeo/two:b', 'skopeo/archived:7', 'skopeo/gzip:1', 'skopeo/app:from-oci']) await d.api('DELETE', `/images/${t}`);
  const msgs = await loadArchive(d, await tarDir(z, join(work, 'oci-zstd.tar')));
  assert.deepEqual(msgs, [{ stream: 'Loaded image: skopeo/zstd:1\n' }]);
  assert.equal(await contentOf('skopeo/zstd:1'), v2Content);
});
