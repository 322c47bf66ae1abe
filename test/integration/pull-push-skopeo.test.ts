/**
 * Interop with skopeo through the reference registry: what Berth pushes, skopeo inspects and
 * copies out (verifying every digest itself); what skopeo pushes — an OCI index with three
 * platforms — Berth pulls for the host's platform and for one asked with --platform, and
 * GET /distribution/{name}/json lists its platforms.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { TestDaemon } from '../helpers/test-daemon.js';
import { startReferenceRegistry, type ReferenceRegistry } from '../helpers/reference-registry.js';
import { apiPull, apiPush, busyboxEntries, writeLayoutImage, writeLayoutIndex } from '../helpers/pull-push-support.js';
import { mediaTypes } from '../../src/distribution/index.js';

let d: TestDaemon;
let reg: ReferenceRegistry;
let dir: string;

function skopeo(args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

before(async () => {
  dir = mkdtempSync('/var/tmp/berth-skopeo-');
  reg = await startReferenceRegistry({ dir: join(dir, 'registry') });
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
  await reg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('skopeo inspects and copies what Berth pushed', async () => {
  const name = `${reg.host}/berth/pushed`;
  assert.equal((await d.api('POST', `/images/busybox/tag?repo=${name}&tag=1.0`)).status, 201);
  const r = await apiPush(d, name, '1.0');
  assert.equal(r.error, undefined, r.text);
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(r.text)![1]!;
  const inspect = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${name}:1.0`])) as { Digest: string; Architecture: string; Os: string; Layers: string[] };
  assert.equal(inspect.Digest, digest);
  assert.equal(inspect.Os, 'linux');
  const img = (await d.api('GET', `/images/${name}:1.0/json`)).json;
  assert.equal(inspect.Architecture, img.Architecture);
  const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${name}:1.0`])) as { mediaType: string; config: { digest: string } };
  assert.equal(raw.mediaType, mediaTypes.dockerManifest);
  assert.equal(raw.config.digest, img.Id);
  // A byte-exact copy out (skopeo checks every blob's digest on the way).
  const out = join(dir, 'copied');
  skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${name}:1.0`, `dir:${out}`]);
  const manifestBytes = readFileSync(join(out, 'manifest.json'));
  assert.equal(`sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`, digest);
  assert.equal(`sha256:${createHash('sha256').update(readFileSync(join(out, img.Id.slice(7)))).digest('hex')}`, img.Id);
  // And into an OCI layout, converted by skopeo.
  skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${name}:1.0`, `oci:${join(dir, 'oci-copy')}:copied`]);
  assert.equal((JSON.parse(readFileSync(join(dir, 'oci-copy', 'index.json'), 'utf8')) as { manifests: unknown[] }).manifests.length, 1);
});

test("Go's gzip reader (skopeo --dest-decompress) reads the layers Berth compressed, stored and deflated blocks alike", async () => {
  // A local image whose one layer holds random bytes (stored blocks) and text (deflated ones).
  const { randomBytes } = await import('node:crypto');
  const { packEntries } = await import('../../src/util/tar/index.js');
  const chunks: Buffer[] = [];
  for await (const c of packEntries([
    { name: 'random.bin', type: 'file', content: randomBytes(3 * 1024 * 1024 + 12345) },
    { name: 'text.txt', type: 'file', content: 'a line of text that compresses well\n'.repeat(100_000) },
  ])) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const name = `${reg.host}/berth/compressed`;
  const imported = await d.api('POST', `/images/create?fromSrc=-&repo=${name}&tag=1`, tar, { 'Content-Type': 'application/x-tar' });
  assert.equal(imported.status, 200, imported.text);
  const r = await apiPush(d, name, '1');
  assert.equal(r.error, undefined, r.text);
  const out = join(dir, 'decompressed');
  skopeo(['copy', '--quiet', '--src-tls-verify=false', '--dest-decompress', `docker://${name}:1`, `dir:${out}`]);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { layers: Array<{ digest: string }> };
  const layer = readFileSync(join(out, manifest.layers[0]!.digest.slice(7)));
  assert.deepEqual(layer, tar);
  const img = (await d.api('GET', `/images/${name}:1/json`)).json;
  assert.equal(`sha256:${createHash('sha256').update(layer).digest('hex')}`, img.RootFS.Layers[0]);
});

test('Berth pulls an OCI index skopeo pushed, for the host platform and for another', async () => {
  const layout = join(dir, 'multi');
  const platforms = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
  ];
  const images = [];
  for (const p of platforms) {
    const image = await writeLayoutImage(
      layout,
      `only-${p.architecture}`,
      [
        { entries: busyboxEntries(), compression: 'gzip' },
        { entries: [{ name: 'etc', type: 'directory' }, { name: 'etc/platform', type: 'file', content: `${p.architecture}${p.variant ?? ''}\n` }], compression: 'gzip' },
      ],
      p,
    );
    images.push({ image, platform: p });
  }
  const indexDigest = writeLayoutIndex(layout, 'multi', images);
  const name = `${reg.host}/skopeo/multi`;
  skopeo(['copy', '--quiet', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${name}:latest`]);

  const dist = await d.api('GET', `/distribution/${name}:latest/json`);
  assert.equal(dist.status, 200, dist.text);
  assert.deepEqual(dist.json.Descriptor.digest, indexDigest);
  assert.equal(dist.json.Descriptor.mediaType, mediaTypes.ociIndex);
  assert.deepEqual(dist.json.Platforms, platforms);

  const host = await apiPull(d, name, 'latest');
  assert.equal(host.error, undefined, host.text);
  assert.equal(host.lines.at(-2), `Digest: ${indexDigest}`);
  const run = await d.docker(['run', '--rm', `${name}:latest`, 'cat', '/etc/platform']);
  const arch = (await d.api('GET', '/version')).json.Arch as string;
  assert.equal(run.stdout, arch === 'arm64' ? 'arm64v8\n' : 'amd64\n', run.stderr);
  const img = (await d.api('GET', `/images/${name}:latest/json`)).json;
  assert.deepEqual(img.RepoDigests, [`${name}@${indexDigest}`]);

  const arm = await apiPull(d, name, 'latest', {}, 'linux/arm/v7');
  assert.equal(arm.error, undefined, arm.text);
  const armImg = (await d.api('GET', `/images/${name}:latest/json`)).json;
  assert.equal(armImg.Architecture, 'arm');
  assert.equal(armImg.Variant, 'v7');
  assert.equal(armImg.Id, images[2]!.image.configDigest);
  // The tag moved to the arm image; the amd64 one stays, untagged.
  assert.equal((await d.api('GET', `/images/${images[0]!.image.configDigest}/json`)).status, 200);

  // As Docker: the error comes in the stream, after "Pulling from".
  const none = await apiPull(d, name, 'latest', {}, 'linux/s390x');
  assert.equal(none.status, 200, none.text);
  assert.deepEqual(none.lines, ['latest: Pulling from skopeo/multi']);
  assert.equal(none.error, 'no matching manifest for linux/s390x in the manifest list entries');
});
