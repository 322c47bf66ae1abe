/**
 * Pull and push through a real berthd against the reference registry on 127.0.0.1 (plain HTTP, no
 * auth): Docker's JSON progress stream, RepoDigests, pull by digest, a re-pull that downloads no
 * blob (counted in the registry's access log), and a multi-layer image with whiteouts, an opaque
 * directory, hardlinks, symlinks, xattrs, owners, modes and a device node round-tripped through
 * push and pull and compared byte for byte in a running container's root.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { TestDaemon } from '../helpers/test-daemon.js';
import { startReferenceRegistry, type ReferenceRegistry } from '../helpers/reference-registry.js';
import { apiPull, apiPush, busyboxEntries, census, writeLayoutImage } from '../helpers/pull-push-support.js';
import { lgetxattr } from '../../src/sys/index.js';

let d: TestDaemon;
let reg: ReferenceRegistry;
let dir: string;

before(async () => {
  dir = mkdtempSync('/var/tmp/berth-pullpush-');
  reg = await startReferenceRegistry({ dir: join(dir, 'registry') });
  d = await TestDaemon.start();
  await d.bootstrapBusybox();
});

after(async () => {
  await d?.cleanup();
  await reg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('push of a local image: Docker progress messages, manifest in the registry, RepoDigests', async () => {
  const name = `${reg.host}/test/busybox`;
  const tag = await d.api('POST', `/images/busybox/tag?repo=${name}&tag=v1`);
  assert.equal(tag.status, 201);
  const r = await apiPush(d, name, 'v1');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.error, undefined, r.text);
  const img = (await d.api('GET', `/images/${name}:v1/json`)).json;
  const diffId = (img.RootFS.Layers as string[])[0]!;
  const id = diffId.slice(7, 19);
  assert.equal(r.lines[0], `The push refers to repository [${name}]`);
  assert.ok(r.lines.includes(`${id}: Preparing`), r.text);
  assert.ok(r.lines.includes(`${id}: Pushed`), r.text);
  const pushing = r.messages.find((m) => m.status === 'Pushing' && m.id === id);
  assert.ok(pushing?.progressDetail?.total && pushing.progress?.startsWith('['), r.text);
  const final = r.lines.find((l) => l.startsWith('v1: digest: '))!;
  const m = /^v1: digest: (sha256:[a-f0-9]{64}) size: (\d+)$/.exec(final);
  assert.ok(m, final);
  assert.deepEqual(r.messages.at(-1), { progressDetail: {}, aux: { Tag: 'v1', Digest: m[1], Size: Number(m[2]) } });
  assert.deepEqual(img.RepoDigests, [`${name}@${m[1]}`]);
  // The registry serves that manifest, a Docker schema 2 one with a gzip layer.
  const res = await fetch(`http://${reg.host}/v2/test/busybox/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(res.headers.get('docker-content-digest'), m[1]);
  const manifest = (await res.json()) as { config: { digest: string }; layers: Array<{ mediaType: string }> };
  assert.equal(manifest.config.digest, img.Id);
  assert.deepEqual(manifest.layers.map((l) => l.mediaType), ['application/vnd.docker.image.rootfs.diff.tar.gzip']);
  // Pushing again finds the layer there.
  const again = await apiPush(d, name, 'v1');
  assert.ok(again.lines.includes(`${id}: Layer already exists`), again.text);
  assert.ok(again.lines.includes(final), again.text);
});

test('pull by tag, then a re-pull that downloads nothing, then pull by digest', async () => {
  const name = `${reg.host}/test/busybox`;
  const before = (await d.api('GET', `/images/${name}:v1/json`)).json;
  assert.equal((await d.api('DELETE', `/images/${name}:v1`)).status, 200);
  assert.equal((await d.api('DELETE', `/images/busybox:latest`)).status, 200);
  const empty = await census(d);
  assert.deepEqual(empty.images, []);

  const r = await apiPull(d, name, 'v1');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.error, undefined, r.text);
  const layer = r.messages.find((m) => m.status === 'Pulling fs layer')!;
  assert.deepEqual(layer.progressDetail, {});
  const lid = layer.id!;
  const states = [...new Set(r.messages.filter((m) => m.id === lid).map((m) => m.status))];
  assert.deepEqual(states, ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']);
  const dl = r.messages.find((m) => m.status === 'Downloading' && m.id === lid)!;
  assert.ok(dl.progressDetail!.current! > 0 && dl.progressDetail!.total! > 0 && /^\[=*>\s*\]\s+\S+\/\S+$/.test(dl.progress!), JSON.stringify(dl));
  assert.equal(r.lines[0], 'v1: Pulling from test/busybox');
  const digest = before.RepoDigests[0].split('@')[1];
  assert.equal(r.lines.at(-2), `Digest: ${digest}`);
  assert.equal(r.lines.at(-1), `Status: Downloaded newer image for ${name}:v1`);
  const img = (await d.api('GET', `/images/${name}:v1/json`)).json;
  assert.equal(img.Id, before.Id);
  assert.deepEqual(img.RepoDigests, [`${name}@${digest}`]);
  assert.deepEqual(img.RepoTags, [`${name}:v1`]);
  const run = await d.berth(['run', '--rm', `${name}:v1`, 'echo', 'pulled and running']);
  assert.equal(run.stdout, 'pulled and running\n', run.stderr);

  const gets = reg.countRequests('GET', '/v2/test/busybox/blobs/');
  const again = await apiPull(d, name, 'v1');
  assert.deepEqual(again.lines, ['v1: Pulling from test/busybox', `Digest: ${digest}`, `Status: Image is up to date for ${name}:v1`]);
  assert.equal(reg.countRequests('GET', '/v2/test/busybox/blobs/'), gets);

  assert.equal((await d.api('DELETE', `/images/${name}:v1?force=1`)).status, 200);
  const byDigest = await apiPull(d, `${name}@${digest}`, undefined);
  assert.equal(byDigest.error, undefined, byDigest.text);
  assert.equal(byDigest.lines[0], `${name}@${digest}: Pulling from test/busybox`);
  assert.equal(byDigest.lines.at(-1), `Status: Downloaded newer image for ${name}@${digest}`);
  const viaDigest = (await d.api('GET', `/images/${name}@${digest}/json`)).json;
  assert.equal(viaDigest.Id, before.Id);
  assert.deepEqual(viaDigest.RepoTags, []);
  const events = await d.api('GET', `/events?since=0&until=${Math.ceil(Date.now() / 1000)}&filters=${encodeURIComponent(JSON.stringify({ event: ['pull', 'push'] }))}`);
  const acts = events.text.trim().split('\n').map((l) => JSON.parse(l) as { Action: string; Actor: { ID: string; Attributes: { name: string } } });
  assert.ok(acts.some((e) => e.Action === 'push' && e.Actor.ID === `${name}:v1` && e.Actor.Attributes.name === name), events.text);
  assert.ok(acts.some((e) => e.Action === 'pull' && e.Actor.ID === `${name}@${digest}`), events.text);
});

test('errors before the stream are HTTP errors with Docker wording; unknown tags and repositories', async () => {
  const r = await apiPull(d, `${reg.host}/test/busybox`, 'nope');
  assert.equal(r.status, 404, r.text);
  assert.match(r.error!, /manifest unknown|not found/);
  const bad = await apiPull(d, 'Not/Valid', 'x');
  assert.equal(bad.status, 400);
  const push = await apiPush(d, `${reg.host}/never/tagged`, 'v1');
  assert.equal(push.status, 200);
  assert.equal(push.lines[0], `The push refers to repository [${reg.host}/never/tagged]`);
  assert.equal(push.error, `An image does not exist locally with the tag: ${reg.host}/never/tagged`);
});

test('a multi-layer image round-trips through push and pull with every kind of entry intact', async () => {
  const layout = join(dir, 'layout');
  const fixed = new Date('2023-04-05T06:07:08Z');
  const img = await writeLayoutImage(layout, 'layers', [
    { entries: busyboxEntries(), compression: 'gzip' },
    {
      compression: 'gzip',
      entries: [
        { name: 'data', type: 'directory', mode: 0o755 },
        { name: 'data/keep', type: 'file', content: 'kept\n' },
        { name: 'data/gone', type: 'file', content: 'deleted above\n' },
        { name: 'opaque', type: 'directory' },
        { name: 'opaque/lower-only', type: 'file', content: 'hidden above\n' },
        { name: 'owned', type: 'file', content: 'owner and mode\n', uid: 1234, gid: 5678, mode: 0o4750, mtime: fixed },
        { name: 'xattr', type: 'file', content: 'has an xattr\n', xattrs: new Map([['user.berth.test', Buffer.from([0, 1, 2, 0xff])]]) },
        { name: 'dev', type: 'directory' },
        { name: 'dev/null2', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      ],
    },
    {
      compression: 'zstd',
      entries: [
        { name: 'data', type: 'directory', mode: 0o755 },
        { name: 'data/.wh.gone', type: 'file' },
        { name: 'opaque', type: 'directory' },
        { name: 'opaque/.wh..wh..opq', type: 'file' },
        { name: 'opaque/upper-only', type: 'file', content: 'visible\n' },
        { name: 'links', type: 'directory' },
        { name: 'links/target', type: 'file', content: 'linked twice\n', mode: 0o640 },
        { name: 'links/hard', type: 'hardlink', linkname: 'links/target', mode: 0o640 },
        { name: 'links/soft', type: 'symlink', linkname: '../data/keep' },
        { name: 'links/dangling', type: 'symlink', linkname: '/nowhere/at/all' },
      ],
    },
  ], { os: 'linux', architecture: 'amd64' }, { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] });
  const src = `${reg.host}/src/layers:v1`;
  execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:layers`, `docker://${src}`]);
  const pulled = await apiPull(d, `${reg.host}/src/layers`, 'v1');
  assert.equal(pulled.error, undefined, pulled.text);
  const dst = `${reg.host}/dst/layers`;
  assert.equal((await d.api('POST', `/images/${reg.host}/src/layers:v1/tag?repo=${dst}&tag=v2`)).status, 201);
  const pushed = await apiPush(d, dst, 'v2');
  assert.equal(pushed.error, undefined, pushed.text);
  // A pulled image is pushed with its own manifest: same digest in the new repository.
  assert.ok(pushed.lines.includes(`v2: digest: ${img.manifestDigest} size: ${readFileSync(join(layout, 'blobs/sha256', img.manifestDigest.slice(7))).length}`), pushed.text);
  // Its layers were mounted from the repository they came from.
  assert.equal(pushed.lines.filter((l) => l.endsWith(': Mounted from src/layers')).length, 3, pushed.text);

  for (const ref of [`${reg.host}/src/layers:v1`, `${dst}:v2`]) assert.equal((await d.api('DELETE', `/images/${ref}`)).status, 200);
  const back = await apiPull(d, dst, 'v2');
  assert.equal(back.error, undefined, back.text);
  const inspect = (await d.api('GET', `/images/${dst}:v2/json`)).json;
  assert.equal(inspect.Id, img.configDigest);
  assert.deepEqual(inspect.RootFS.Layers, img.diffIds);

  const id = await d.create({ Image: `${dst}:v2`, Cmd: ['sleep', '60'] });
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const root = (await d.inspect(id)).GraphDriver.Data.MergedDir as string;
  const at = (p: string) => join(root, p);
  assert.equal(readFileSync(at('data/keep'), 'utf8'), 'kept\n');
  assert.throws(() => lstatSync(at('data/gone')), /ENOENT/);
  assert.throws(() => lstatSync(at('opaque/lower-only')), /ENOENT/);
  assert.equal(readFileSync(at('opaque/upper-only'), 'utf8'), 'visible\n');
  const owned = lstatSync(at('owned'));
  assert.equal(owned.uid, 1234);
  assert.equal(owned.gid, 5678);
  assert.equal(owned.mode & 0o7777, 0o4750);
  assert.equal(owned.mtimeMs, fixed.getTime());
  assert.deepEqual(lgetxattr(at('xattr'), 'user.berth.test'), Buffer.from([0, 1, 2, 0xff]));
  const dev = lstatSync(at('dev/null2'));
  assert.ok(dev.isCharacterDevice());
  assert.equal(dev.rdev, (1 << 8) | 3);
  const target = lstatSync(at('links/target'));
  const hard = lstatSync(at('links/hard'));
  assert.equal(target.nlink, 2);
  assert.equal(hard.ino, target.ino);
  assert.equal(target.mode & 0o777, 0o640);
  assert.equal(readlinkSync(at('links/soft')), '../data/keep');
  assert.equal(readlinkSync(at('links/dangling')), '/nowhere/at/all');
  assert.equal(readFileSync(at('bin/busybox')).equals(readFileSync(existsBusybox())), true);
  // Inside the container the same view.
  const exec = await d.docker(['exec', id, 'sh', '-c', 'cat /links/soft; ls /opaque; stat -c "%a %u:%g" /owned']);
  assert.equal(exec.stdout, 'kept\nupper-only\n4750 1234:5678\n', exec.stderr);
});

function existsBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    try {
      lstatSync(p);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error('no busybox');
}
