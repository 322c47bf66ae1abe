import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { mediaTypes } from '../../distribution/index.js';
import { chainIds } from '../../images/index.js';
import { sha256Digest } from '../../util/digest.js';
import { NotFoundError } from '../../util/errors.js';
import { tarOf } from '../../util/tar/layer-fixtures.js';
import { blobCount, compress, harness, publish, recorder, tarBytes, type BuiltLayer } from './distribution-test-support.js';

async function threeLayers(how: 'gzip' | 'zstd' | 'none' = 'gzip', oci = false): Promise<BuiltLayer[]> {
  return [
    compress(await tarBytes([{ name: 'bin', type: 'directory' }, { name: 'bin/tool', type: 'file', content: 'tool v1\n', mode: 0o755 }]), how, oci),
    compress(
      await tarBytes([
        { name: 'etc', type: 'directory' },
        { name: 'etc/conf', type: 'file', content: 'a=1\n', uid: 1000, gid: 1000, mode: 0o600 },
        { name: 'etc/link', type: 'symlink', linkname: 'conf' },
        // Tar writers give a hardlink its target's metadata (extractors apply it to the shared inode).
        { name: 'etc/hard', type: 'hardlink', linkname: 'etc/conf', uid: 1000, gid: 1000, mode: 0o600 },
      ]),
      how,
      oci,
    ),
    compress(await tarBytes([{ name: 'data', type: 'file', content: Buffer.alloc(300_000, 7) }]), how, oci),
  ];
}

test('pull by tag: Docker progress messages, verbatim manifest, RepoDigests, files in place', async () => {
  const h = await harness();
  try {
    const layers = await threeLayers();
    const pub = publish(h.registry, '127.0.0.1:5000/team/app', layers, { tags: ['v1'] });
    const rec = recorder();
    const ids = await h.service.pull({ image: '127.0.0.1:5000/team/app', tag: 'v1', out: rec.out });
    assert.deepEqual(ids, [pub.configDigest]);
    const short = (l: BuiltLayer) => sha256Digest(l.blob).slice(7, 19);
    assert.equal(rec.lines[0], 'v1: Pulling from team/app');
    for (const l of layers) {
      const mine = rec.lines.filter((x) => x.startsWith(`${short(l)}: `)).map((x) => x.slice(14).replace(/ \d+\/\d+$/, ''));
      // Each layer goes through Docker's states in Docker's order.
      const order = ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete'];
      const seen = order.filter((s) => mine.includes(s));
      assert.deepEqual(seen, order, `layer ${short(l)}: ${mine.join(', ')}`);
      assert.deepEqual([...new Set(mine)].filter((s) => order.includes(s)), seen);
    }
    assert.equal(rec.lines.at(-2), `Digest: ${pub.manifestDigest}`);
    assert.equal(rec.lines.at(-1), 'Status: Downloaded newer image for 127.0.0.1:5000/team/app:v1');

    const img = h.store.resolve('127.0.0.1:5000/team/app:v1');
    assert.equal(img.manifestOrigin, 'registry');
    assert.equal(img.manifestDigest, pub.manifestDigest);
    assert.deepEqual((await h.store.manifest(img)).bytes, pub.manifestBytes);
    assert.deepEqual(h.store.refsOf(img.id).sort(), ['127.0.0.1:5000/team/app:v1', `127.0.0.1:5000/team/app@${pub.manifestDigest}`].sort());
    assert.deepEqual(img.layers.map((l) => l.mediaType), layers.map(() => mediaTypes.dockerLayerGzip));
    assert.equal(img.size, 'tool v1\n'.length + 'a=1\n'.length + 300_000);
    // The compressed blobs are kept as the registry served them (push sends them unchanged).
    for (const l of layers) assert.deepEqual(await h.content.readBytes(sha256Digest(l.blob)), l.blob);

    const chain = chainIds(layers.map((l) => l.diffId));
    assert.equal(readFileSync(join(h.snapshots.dir(chain[0]!), 'bin/tool'), 'utf8'), 'tool v1\n');
    const etc = join(h.snapshots.dir(chain[1]!), 'etc');
    assert.equal(readlinkSync(join(etc, 'link')), 'conf');
    assert.equal(statSync(join(etc, 'conf')).ino, statSync(join(etc, 'hard')).ino);
    assert.equal(statSync(join(etc, 'conf')).uid, 1000);
    assert.equal(statSync(join(etc, 'conf')).mode & 0o777, 0o600);
    assert.deepEqual(h.snapshots.children(chain[0]!), [chain[1]]);
    const ev = h.events.find((e) => e.Action === 'pull')!;
    assert.equal(ev.Actor.ID, '127.0.0.1:5000/team/app:v1');
    assert.equal(ev.Actor.Attributes.name, '127.0.0.1:5000/team/app');

    // A re-pull downloads nothing and says so.
    const gets = h.registry.blobGets.length;
    const again = recorder();
    await h.service.pull({ image: '127.0.0.1:5000/team/app:v1', out: again.out });
    assert.equal(h.registry.blobGets.length, gets);
    assert.deepEqual(again.lines, ['v1: Pulling from team/app', `Digest: ${pub.manifestDigest}`, 'Status: Image is up to date for 127.0.0.1:5000/team/app:v1']);
  } finally {
    h.close();
  }
});

test('an image sharing lower layers reports them as Already exists and fetches only the rest', async () => {
  const h = await harness();
  try {
    const base = await threeLayers();
    publish(h.registry, 'localhost:5000/base', base.slice(0, 2));
    await h.service.pull({ image: 'localhost:5000/base', tag: 'latest', out: recorder().out });
    publish(h.registry, 'localhost:5000/app', base);
    const before = h.registry.blobGets.length;
    const rec = recorder();
    await h.service.pull({ image: 'localhost:5000/app', tag: 'latest', out: rec.out });
    const fetched = h.registry.blobGets.slice(before);
    // The config and the one new layer.
    assert.equal(fetched.length, 2);
    assert.ok(fetched.some((g) => g.endsWith(sha256Digest(base[2]!.blob))));
    assert.ok(rec.lines.includes(`${sha256Digest(base[0]!.blob).slice(7, 19)}: Already exists`));
    assert.ok(rec.lines.includes(`${sha256Digest(base[1]!.blob).slice(7, 19)}: Already exists`));
  } finally {
    h.close();
  }
});

test('an index picks the platform asked for (default the host), RepoDigest is the index digest', async () => {
  const h = await harness();
  try {
    const amd = [compress(await tarBytes([{ name: 'arch', type: 'file', content: 'amd64' }]), 'gzip', true)];
    const arm = [compress(await tarBytes([{ name: 'arch', type: 'file', content: 'arm64' }]), 'zstd', true)];
    const a = publish(h.registry, 'localhost:5000/multi', amd, { tags: [], oci: true, platform: { os: 'linux', architecture: 'amd64' } });
    const b = publish(h.registry, 'localhost:5000/multi', arm, { tags: [], oci: true, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [
          { mediaType: mediaTypes.ociManifest, digest: a.manifestDigest, size: a.manifestBytes.length, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: mediaTypes.ociManifest, digest: b.manifestDigest, size: b.manifestBytes.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        ],
      }),
    );
    const idx = h.registry.putManifestBytes('localhost:5000/multi', index, mediaTypes.ociIndex, ['latest']);
    const rec = recorder();
    await h.service.pull({ image: 'localhost:5000/multi', tag: 'latest', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, out: rec.out });
    const img = h.store.resolve('localhost:5000/multi:latest');
    assert.equal(img.id, b.configDigest);
    assert.equal(img.config.architecture, 'arm64');
    assert.equal(readFileSync(join(h.snapshots.dir(img.layers[0]!.diffId), 'arch'), 'utf8'), 'arm64');
    assert.ok(rec.lines.includes(`Digest: ${idx.digest}`));
    assert.ok(h.store.refsOf(img.id).includes(`localhost:5000/multi@${idx.digest}`));
    assert.ok(!rec.lines.some((l) => l.startsWith('WARNING')));
    // By digest of the index, for the other platform; no platform matching fails clearly.
    await h.service.pull({ image: 'localhost:5000/multi', tag: idx.digest, platform: { os: 'linux', architecture: 'amd64' }, out: recorder().out });
    assert.equal(h.store.resolve(`localhost:5000/multi@${idx.digest}`).id, a.configDigest);
    await assert.rejects(
      h.service.pull({ image: 'localhost:5000/multi:latest', platform: { os: 'linux', architecture: 's390x' }, out: recorder().out }),
      (e: unknown) => e instanceof NotFoundError && /no matching manifest for linux\/s390x in the manifest list entries/.test((e as Error).message),
    );
  } finally {
    h.close();
  }
});

test('pull by digest, uncompressed and zstd layers, and every tag of a name', async () => {
  const h = await harness();
  try {
    const plain = await threeLayers('none', true);
    const p = publish(h.registry, 'localhost:5000/plain', plain, { tags: ['a', 'b'], oci: true });
    const rec = recorder();
    await h.service.pull({ image: `localhost:5000/plain@${p.manifestDigest}`, out: rec.out });
    assert.equal(rec.lines[0], `localhost:5000/plain@${p.manifestDigest}: Pulling from plain`);
    assert.equal(rec.lines.at(-1), `Status: Downloaded newer image for localhost:5000/plain@${p.manifestDigest}`);
    assert.deepEqual(h.store.refsOf(p.configDigest), [`localhost:5000/plain@${p.manifestDigest}`]);
    const z = await threeLayers('zstd', true);
    publish(h.registry, 'localhost:5000/z', z, { oci: true });
    await h.service.pull({ image: 'localhost:5000/z', tag: 'latest', out: recorder().out });
    const img = h.store.resolve('localhost:5000/z');
    assert.equal(readFileSync(join(h.snapshots.dir(chainIds(img.layers.map((l) => l.diffId))[2]!), 'data')).length, 300_000);
    const all = recorder();
    await h.service.pull({ image: 'localhost:5000/plain', out: all.out });
    assert.ok(all.lines.includes('a: Pulling from plain'));
    assert.ok(all.lines.includes('b: Pulling from plain'));
    assert.equal(all.lines.at(-1), 'Status: Downloaded newer image for localhost:5000/plain');
    assert.equal(h.store.resolve('localhost:5000/plain:b').id, p.configDigest);
  } finally {
    h.close();
  }
});

test('a bounded pool: with one download slot the other layers wait', async () => {
  const h = await harness({ maxConcurrentDownloads: 1 });
  try {
    const layers = await threeLayers();
    publish(h.registry, 'localhost:5000/app', layers);
    let active = 0;
    let peak = 0;
    h.registry.chunkDelay = async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setImmediate(r));
      active--;
    };
    const rec = recorder();
    await h.service.pull({ image: 'localhost:5000/app', tag: 'latest', out: rec.out });
    assert.equal(rec.lines.filter((l) => l.endsWith(': Waiting')).length, 2);
    assert.equal(peak, 1);
  } finally {
    h.close();
  }
});

/** After a failed pull: no image, no blobs, no snapshots, no ingests, no temp directories. */
async function assertNothingStored(h: Awaited<ReturnType<typeof harness>>): Promise<void> {
  assert.equal(h.store.list().length, 0);
  assert.deepEqual(h.store.refs(), []);
  assert.equal(blobCount(h), 0);
  assert.deepEqual(h.snapshots.keys('committed'), []);
  assert.deepEqual(readdirSync(join(h.dir, 'content', 'ingest')), []);
  assert.deepEqual(readdirSync(join(h.dir, 'snapshots')).filter((n) => n !== 'empty'), []);
}

test('hostile registries: wrong digests, truncated and endless bodies, bad configs, escaping layers store nothing', async () => {
  const h = await harness();
  try {
    const layers = await threeLayers();
    publish(h.registry, 'localhost:5000/app', layers);
    const target = sha256Digest(layers[2]!.blob);
    const cases: Array<[string, (d: string, b: Buffer) => Buffer | Readable, RegExp]> = [
      ['wrong bytes', (d, b) => (d === target ? Buffer.from(b).fill(1, 10, 20) : b), /digest mismatch/],
      ['truncated', (d, b) => (d === target ? b.subarray(0, b.length - 10) : b), /ended after/],
      ['endless', (d, b) => (d === target ? Readable.from((function* () { yield b; for (;;) yield Buffer.alloc(65536); })()) : b), /longer than/],
    ];
    for (const [what, tamper, message] of cases) {
      h.registry.tamper = tamper;
      await assert.rejects(h.service.pull({ image: 'localhost:5000/app', tag: 'latest', out: recorder().out }), message, what);
      await assertNothingStored(h);
    }
    h.registry.tamper = undefined;

    // The config lies about the diff ids: the layers unpack, but are not what it says.
    const lying = publish(h.registry, 'localhost:5000/lie', layers, { diffIds: layers.map((l) => sha256Digest(`not ${l.diffId}`)) });
    await assert.rejects(h.service.pull({ image: 'localhost:5000/lie', tag: 'latest', out: recorder().out }), /layers from manifest don't match image configuration/);
    assert.ok(lying.configDigest);
    await assertNothingStored(h);

    // A layer that climbs out of its root, after two good ones.
    const escapeTar = await tarOf([{ header: { name: '../../outside', type: 'file' }, content: 'x' }]);
    const escape: BuiltLayer = { tar: escapeTar, blob: escapeTar, mediaType: mediaTypes.dockerLayer, diffId: sha256Digest(escapeTar) };
    publish(h.registry, 'localhost:5000/escape', [...layers.slice(0, 2), escape]);
    await assert.rejects(h.service.pull({ image: 'localhost:5000/escape', tag: 'latest', out: recorder().out }), /outside|above the root|climb/i);
    await assertNothingStored(h);

    // Not JSON, not an image config, no rootfs.
    publish(h.registry, 'localhost:5000/plugin', layers, { configExtra: {} });
    const m = JSON.parse((await h.registry.repository({ domain: 'localhost:5000', path: 'plugin' }).getManifest('latest')).bytes.toString());
    m.config.mediaType = 'application/vnd.docker.plugin.v1+json';
    h.registry.putManifestBytes('localhost:5000/plugin', Buffer.from(JSON.stringify(m)), mediaTypes.dockerManifest, ['latest']);
    await assert.rejects(h.service.pull({ image: 'localhost:5000/plugin', tag: 'latest', out: recorder().out }), /Encountered remote "application\/vnd.docker.plugin.v1\+json"\(plugin\) when fetching/);
    const badConfig = h.registry.putBlob('localhost:5000/badcfg', Buffer.from('{"rootfs": 5, "os": "linux", "architecture": "amd64"}'), mediaTypes.dockerConfig);
    const l0 = h.registry.putBlob('localhost:5000/badcfg', layers[0]!.blob, layers[0]!.mediaType);
    h.registry.putManifestBytes('localhost:5000/badcfg', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config: badConfig, layers: [l0] })), mediaTypes.dockerManifest, ['latest']);
    await assert.rejects(h.service.pull({ image: 'localhost:5000/badcfg', tag: 'latest', out: recorder().out }), /invalid rootfs in image configuration/);
    await assertNothingStored(h);
    await assert.rejects(h.service.pull({ image: 'localhost:5000/nothing', tag: 'latest', out: recorder().out }), NotFoundError);
    await assert.rejects(h.service.pull({ image: 'scratch', out: recorder().out }), /'scratch' is a reserved name/);
    assert.equal(h.events.filter((e) => e.Action === 'pull').length, 0);
  } finally {
    h.close();
  }
});

test('a failed pull keeps what another image uses and what is already there', async () => {
  const h = await harness();
  try {
    const layers = await threeLayers();
    publish(h.registry, 'localhost:5000/base', layers.slice(0, 1));
    await h.service.pull({ image: 'localhost:5000/base', tag: 'latest', out: recorder().out });
    const blobs = blobCount(h);
    publish(h.registry, 'localhost:5000/app', layers);
    h.registry.tamper = (d, b) => (d === sha256Digest(layers[2]!.blob) ? b.subarray(1) : b);
    await assert.rejects(h.service.pull({ image: 'localhost:5000/app', tag: 'latest', out: recorder().out }));
    assert.equal(blobCount(h), blobs);
    assert.deepEqual(h.snapshots.keys('committed'), [layers[0]!.diffId]);
    assert.equal(h.store.list().length, 1);
  } finally {
    h.close();
  }
});
