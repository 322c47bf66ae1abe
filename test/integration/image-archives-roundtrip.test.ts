/**
 * save → rmi → load against a real berthd, in both formats, with several multi-layer images
 * (overwrites, a whiteout, hard and symbolic links across layers), checked by running
 * containers from what was loaded; the berth CLI's save/load; history, prune and df over the API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dockerArchiveOf, fixtureImage, ociArchiveOf } from '../../src/images/archive/archive-fixtures.js';
import { tarOf } from '../../src/util/tar/layer-fixtures.js';
import { execFile } from 'node:child_process';
import { TestDaemon, repoRoot } from '../helpers/test-daemon.js';
import { appImage, busyboxLayer, loadArchive, tarEntries } from '../helpers/layered-images.js';

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

async function runIn(image: string, script: string): Promise<string> {
  const r = await d.berth(['run', '--rm', image, 'sh', '-c', script]);
  assert.equal(r.code, 0, `run ${image}: ${r.stderr}`);
  return r.stdout;
}

const probe = 'cat /app/version; ls /app; [ -e /app/doomed ] && echo doomed-present || echo doomed-gone; readlink /app/latest 2>/dev/null || true; /app/run.sh';

/** The berth CLI with stdout kept as bytes (an archive). */
function berthBinary(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'dist/src/bin/berth.js'), '-H', d.host, ...args], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() });
    });
  });
}

async function imageIds(): Promise<string[]> {
  return ((await d.api('GET', '/images/json?all=1')).json as Array<{ Id: string }>).map((i) => i.Id).sort();
}

async function tags(): Promise<string[]> {
  return ((await d.api('GET', '/images/json')).json as Array<{ RepoTags: string[] }>).flatMap((i) => i.RepoTags).sort();
}

test('a docker save archive of several layered images loads, and containers see every layer', async () => {
  const v1 = await appImage(base, { tags: ['app:1', 'app:stable'] });
  const v2 = await appImage(base, { tags: ['app:2', 'registry.local:5000/team/app:2'], v2: true });
  const msgs = await loadArchive(d, await dockerArchiveOf([v1, v2]));
  assert.deepEqual(msgs, [
    { stream: 'Loaded image: app:1\n' },
    { stream: 'Loaded image: app:stable\n' },
    { stream: 'Loaded image: app:2\n' },
    { stream: 'Loaded image: registry.local:5000/team/app:2\n' },
  ]);
  assert.equal(await runIn('app:1', probe), 'v1\ndoomed\nrun.sh\nversion\ndoomed-present\nrunning v1\n');
  assert.equal(await runIn('app:2', probe), 'v2\nlatest\nrun.sh\nversion\nversion-link\ndoomed-gone\nversion\nrunning v2\n');
  assert.equal(await runIn('registry.local:5000/team/app:2', 'stat -c %h /app/version; cat /app/version-link'), '2\nv2\n');
  const inspect = (await d.api('GET', '/images/app:2/json')).json;
  assert.equal(inspect.Id, v2.id);
  assert.deepEqual(inspect.RootFS.Layers, v2.config.rootfs.diff_ids);
  assert.equal(inspect.RootFS.Layers.length, 3);
});

for (const format of ['docker', 'oci'] as const) {
  test(`save (${format}) → rmi → load gives back the same images, tags and content`, async () => {
    const idsBefore = await imageIds();
    const tagsBefore = await tags();
    const save = await d.api('GET', `/images/get?names=app&names=busybox&names=${encodeURIComponent('registry.local:5000/team/app')}${format === 'oci' ? '&format=oci' : ''}`);
    assert.equal(save.status, 200, save.text);
    assert.equal(save.headers['content-type'], 'application/x-tar');
    const entries = await tarEntries(save.body);
    if (format === 'docker') {
      assert.ok(entries.has('manifest.json') && entries.has('repositories'));
      const manifest = JSON.parse(entries.get('manifest.json')!.data.toString()) as Array<{ RepoTags: string[]; Layers: string[] }>;
      assert.deepEqual(manifest.flatMap((m) => m.RepoTags).sort(), tagsBefore);
      // The busybox layer all three images share is written once; the others link to it.
      const baseCopies = [...entries.values()].filter((e) => e.type === 'file' && e.data.equals(base));
      assert.equal(baseCopies.length, 1);
    } else {
      assert.deepEqual(JSON.parse(entries.get('oci-layout')!.data.toString()), { imageLayoutVersion: '1.0.0' });
      const index = JSON.parse(entries.get('index.json')!.data.toString()) as { manifests: Array<{ annotations: Record<string, string> }> };
      assert.deepEqual(index.manifests.map((m) => m.annotations['io.containerd.image.name']).sort(), tagsBefore.map((t) => (t.includes('/') ? t : `docker.io/library/${t}`)).sort());
    }
    for (const t of tagsBefore) assert.equal((await d.api('DELETE', `/images/${t}`)).status, 200, t);
    assert.deepEqual(await imageIds(), []);
    assert.deepEqual(readdirSync(join(d.dataRoot, 'content/blobs/sha256')), [], 'rmi removed every blob');

    const loaded = await loadArchive(d, save.body);
    assert.deepEqual(loaded.map((m) => m.stream).sort(), tagsBefore.map((t) => `Loaded image: ${t}\n`).sort());
    assert.deepEqual(await imageIds(), idsBefore);
    assert.deepEqual(await tags(), tagsBefore);
    assert.equal(await runIn('app:2', probe), 'v2\nlatest\nrun.sh\nversion\nversion-link\ndoomed-gone\nversion\nrunning v2\n');
    assert.equal(await runIn('app:stable', 'cat /app/version'), 'v1\n');
    assert.equal(await runIn('busybox', 'echo still-busybox'), 'still-busybox\n');
  });
}

test('the berth CLI: save -o, load -i, save | load, and the events Docker sends', async () => {
  const file = join(d.dir, 'app.tar');
  const since = Math.floor(Date.now() / 1000) - 1;
  const saved = await d.berth(['save', '-o', file, 'app:1', 'app:2']);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(saved.stdout, '');
  assert.ok(existsSync(file));
  assert.deepEqual(readdirSync(d.dir).filter((n) => n.includes('.tmp')), [], 'no temporary file stays behind');
  for (const t of ['app:1', 'app:2']) await d.berth(['rmi', t]);
  const loaded = await d.berth(['load', '-i', file]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.equal(loaded.stdout, 'Loaded image: app:1\nLoaded image: app:2\n');
  // By id: an archive without tags, piped from save into load.
  const id = (await d.api('GET', '/images/app:1/json')).json.Id as string;
  const untagged = await berthBinary(['save', id]);
  assert.equal(untagged.code, 0, untagged.stderr);
  await d.berth(['rmi', 'app:stable']);
  await d.berth(['rmi', 'app:1']);
  assert.equal((await d.api('GET', `/images/${id}/json`)).status, 404);
  const again = await d.berth(['load'], { input: untagged.stdout });
  assert.equal(again.stdout, `Loaded image ID: ${id}\n`);
  await d.berth(['tag', id, 'app:1']);
  await d.berth(['tag', id, 'app:stable']);
  const ev = await d.api('GET', `/events?since=${since}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ type: ['image'] }))}`);
  const actions = ev.text.trim().split('\n').map((l) => JSON.parse(l).Action as string);
  assert.ok(actions.includes('save') && actions.includes('load') && actions.includes('untag'), actions.join(','));
});

test('a gzip-compressed docker save archive and gzip layers in an OCI layout load too', async () => {
  const { gzipSync } = await import('node:zlib');
  const z = await appImage(base, { tags: ['zipped:1'], gzip: true, v2: true, created: '2023-05-06T07:08:09Z' });
  assert.deepEqual(await loadArchive(d, await ociArchiveOf([z])), [{ stream: 'Loaded image: zipped:1\n' }]);
  assert.equal(await runIn('zipped:1', 'cat /app/version'), 'v2\n');
  const layers = (await d.api('GET', '/images/zipped:1/json')).json.RootFS.Layers as string[];
  assert.equal(layers.length, 3);
  // Saving a gzip-layer image in the docker format decompresses each layer (layer.tar is the diff).
  const save = await d.api('GET', '/images/zipped:1/get');
  const entries = await tarEntries(save.body);
  const manifest = JSON.parse(entries.get('manifest.json')!.data.toString()) as Array<{ Layers: string[] }>;
  const { createHash } = await import('node:crypto');
  const digests = manifest[0]!.Layers.map((p) => {
    let e = entries.get(p)!;
    if (e.type === 'symlink') e = entries.get(join(p, '..', e.linkname!).replace(/^\//, ''))!;
    return 'sha256:' + createHash('sha256').update(e.data).digest('hex');
  });
  assert.deepEqual(digests, layers);
  await d.berth(['rmi', 'zipped:1']);
  assert.deepEqual(await loadArchive(d, gzipSync(save.body)), [{ stream: 'Loaded image: zipped:1\n' }]);
});

test('load with quiet=0 streams Docker-shaped "Loading layer" progress', async () => {
  // A layer the daemon has not seen (known layers are not loaded again, so they report nothing).
  const { randomBytes } = await import('node:crypto');
  const fresh = await tarOf([{ header: { name: 'blob.bin' }, content: randomBytes(3 << 20) }]);
  const img = fixtureImage({ layers: [base, fresh], tags: ['progress:1'], created: '2022-01-01T00:00:00Z' });
  const msgs = await loadArchive(d, await dockerArchiveOf([img]), false);
  const progress = msgs.filter((m) => m.status === 'Loading layer');
  assert.ok(progress.length >= 2, JSON.stringify(msgs));
  for (const p of progress) {
    assert.match(p.id!, /^[a-f0-9]{12}$/);
    assert.ok(p.progressDetail!.current <= p.progressDetail!.total);
  }
  assert.deepEqual(msgs.at(-1), { stream: 'Loaded image: progress:1\n' });
});

test('history, prune and df over the API', async () => {
  const h = await d.api('GET', '/images/app:2/history');
  assert.equal(h.status, 200);
  assert.equal(h.json.length, 3);
  assert.equal(h.json[0].Id, (await d.api('GET', '/images/app:2/json')).json.Id);
  assert.deepEqual(h.json[0].Tags.sort(), ['app:2', 'registry.local:5000/team/app:2']);
  assert.deepEqual(h.json.slice(1).map((x: { Id: string }) => x.Id), ['<missing>', '<missing>']);
  assert.equal(h.json[2].CreatedBy, '/bin/sh -c step 0 && echo <done>');
  assert.equal((await d.api('GET', '/images/nothere:1/history')).status, 404);

  const df = await d.api('GET', '/system/df');
  assert.equal(df.status, 200);
  assert.deepEqual(Object.keys(df.json), ['LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache']);
  const shared = df.json.Images.filter((i: { SharedSize: number }) => i.SharedSize >= base.length);
  assert.ok(shared.length >= 2, 'images on the busybox layer share it');
  const onlyImages = await d.api('GET', '/system/df?type=image');
  assert.equal(onlyImages.json.Containers, null);
  assert.equal((await d.api('GET', '/system/df?type=nonsense')).status, 400);

  // An untagged image is dangling: prune removes it (and only it) and reports the bytes.
  const id = (await d.api('GET', '/images/progress:1/json')).json.Id as string;
  await d.api('DELETE', '/images/progress:1');
  const before = await imageIds();
  assert.ok(!before.includes(id), 'rmi of the only tag deleted it');
  const ctr = await d.create({ Image: 'app:1', Cmd: ['true'] });
  const own = await tarOf([{ header: { name: 'only-here' }, content: 'x'.repeat(5000) }]);
  const dangling = await loadArchive(d, await dockerArchiveOf([fixtureImage({ layers: [base, own], created: '2020-01-01T00:00:00Z', labels: { purpose: 'test' } })]));
  const danglingId = /Loaded image ID: (sha256:[a-f0-9]{64})/.exec(dangling[0]!.stream!)![1]!;
  const since = Math.floor(Date.now() / 1000) - 1;
  const p = await d.api('POST', '/images/prune');
  assert.equal(p.status, 200);
  assert.deepEqual(p.json.ImagesDeleted, [{ Deleted: danglingId }]);
  assert.equal(p.json.SpaceReclaimed, own.length, 'what only it used: its own layer');
  const ev = await d.api('GET', `/events?since=${since}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ type: ['image'] }))}`);
  const events = ev.text.trim().split('\n').map((l) => JSON.parse(l) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> } });
  assert.ok(events.some((e) => e.Action === 'delete' && e.Actor.ID === danglingId), 'prune publishes delete');
  assert.ok(events.some((e) => e.Action === 'prune' && e.Actor.Attributes.reclaimed === String(own.length)), 'and one prune event with the bytes');
  const all = await d.api('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'], label: ['nothing=here'] }))}`);
  assert.deepEqual(all.json, { ImagesDeleted: null, SpaceReclaimed: 0 });
  const everything = await d.api('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'] }))}`);
  const deleted = (everything.json.ImagesDeleted as Array<{ Deleted?: string }>).filter((x) => x.Deleted).map((x) => x.Deleted);
  const app1 = (await d.api('GET', '/images/app:1/json')).json.Id;
  assert.ok(!deleted.includes(app1), 'the image a container uses stays');
  assert.deepEqual((await d.api('GET', '/images/json')).json.map((i: { Id: string }) => i.Id), [app1]);
  assert.equal((await d.api('POST', '/images/prune?filters=' + encodeURIComponent('{"reference":["x"]}'))).status, 400);
  await d.api('DELETE', `/containers/${ctr}`);
});
