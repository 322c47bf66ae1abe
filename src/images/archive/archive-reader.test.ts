import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest } from '../../util/digest.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { streamOf, tarOf, type FixtureEntry } from '../../util/tar/layer-fixtures.js';
import { readArchive, isMetadataPath } from './archive-reader.js';

async function read(entries: FixtureEntry[], opts: { maxMetadataFileBytes?: number } = {}) {
  const stored = new Map<string, Buffer>();
  const tree = await readArchive(streamOf(await tarOf(entries)), {
    ...opts,
    async storeBlob(content, path) {
      const chunks: Buffer[] = [];
      for await (const c of content) chunks.push(c);
      const bytes = Buffer.concat(chunks);
      stored.set(path, bytes);
      return { digest: sha256Digest(bytes), size: bytes.length };
    },
  });
  return { tree, stored };
}

test('metadata files stay in memory, everything else is stored as a blob', async () => {
  const layer = Buffer.alloc(3000, 7);
  const { tree, stored } = await read([
    { header: { name: 'abc/', type: 'directory' } },
    { header: { name: 'abc/layer.tar' }, content: layer },
    { header: { name: 'abc/json' }, content: '{}' },
    { header: { name: 'abc/VERSION' }, content: '1.0' },
    { header: { name: 'manifest.json' }, content: '[]' },
    { header: { name: './repositories' }, content: '{}' },
  ]);
  assert.deepEqual([...stored.keys()], ['abc/layer.tar']);
  const f = tree.file('abc/layer.tar', 'layer');
  assert.equal(f.bytes, null);
  assert.equal(f.digest, sha256Digest(layer));
  assert.equal(f.size, 3000);
  assert.equal(tree.file('manifest.json', 'manifest')!.bytes!.toString(), '[]');
  assert.equal(tree.file('repositories', 'repositories')!.bytes!.toString(), '{}');
  assert.equal(tree.node('abc')?.kind, 'directory');
  assert.ok(isMetadataPath('0123.json') && isMetadataPath('x/json') && !isMetadataPath('blobs/sha256/ab') && !isMetadataPath('a/b/json'));
});

test('symlinks are followed inside the archive, hardlinks alias earlier files', async () => {
  const { tree } = await read([
    { header: { name: 'a/layer.tar' }, content: 'AAA' },
    { header: { name: 'b/layer.tar', type: 'symlink', linkname: '../a/layer.tar' } },
    { header: { name: 'c', type: 'symlink', linkname: 'a' } },
    { header: { name: 'd/layer.tar', type: 'link', linkname: 'a/layer.tar' } },
  ]);
  const a = tree.file('a/layer.tar', 'x');
  assert.equal(tree.file('b/layer.tar', 'x'), a);
  assert.equal(tree.file('c/layer.tar', 'x'), a);
  assert.equal(tree.file('./c/../a/layer.tar', 'x'), a);
  assert.equal(tree.file('d/layer.tar', 'x').digest, a.digest);
  assert.ok(tree.hasFile('b/layer.tar'));
  assert.ok(!tree.hasFile('nope'));
});

test('links that leave the archive, loops and missing files are clear errors', async () => {
  const { tree } = await read([
    { header: { name: 'up', type: 'symlink', linkname: '../../etc/passwd' } },
    { header: { name: 'abs', type: 'symlink', linkname: '/etc/passwd' } },
    { header: { name: 'dir', type: 'symlink', linkname: '..' } },
    { header: { name: 'l1', type: 'symlink', linkname: 'l2' } },
    { header: { name: 'l2', type: 'symlink', linkname: 'l1' } },
    { header: { name: 'f' }, content: 'x' },
  ]);
  assert.throws(() => tree.file('up', 'Layers[0]'), /symlink "up" points outside the archive/);
  assert.throws(() => tree.file('abs', 'Layers[0]'), /symlink "abs" points at the absolute path "\/etc\/passwd"/);
  assert.throws(() => tree.file('dir/etc/passwd', 'Layers[0]'), /symlink "dir" points outside the archive/);
  assert.throws(() => tree.file('l1', 'Layers[0]'), /too many levels of symbolic links/);
  assert.throws(() => tree.file('missing', 'Layers[0]'), /Layers\[0\] "missing" is not in the archive/);
  assert.throws(() => tree.file('../f', 'Layers[0]'), /Layers\[0\] "\.\.\/f" escapes the archive/);
  assert.throws(() => tree.file('/f', 'Config'), /Config "\/f" is an absolute path/);
  assert.throws(() => tree.file('f/x', 'Config'), /is not in the archive/);
});

test('hostile entries are refused', async () => {
  const cases: Array<[FixtureEntry[], RegExp]> = [
    [[{ header: { name: '../evil' }, content: 'x' }], /entry "\.\.\/evil" escapes the archive/],
    [[{ header: { name: 'a/../../evil' }, content: 'x' }], /escapes the archive/],
    [[{ header: { name: '/etc/evil' }, content: 'x' }], /entry "\/etc\/evil" is an absolute path/],
    [[{ header: { name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 } }], /unsupported type character-device/],
    [[{ header: { name: 'h', type: 'link', linkname: 'nothing' } }], /hardlink "h" does not point at an earlier file/],
    [[{ header: { name: 'manifest.json' }, content: Buffer.alloc(2000, 0x20) }], /manifest\.json is 2000 bytes, more than the 1000 bytes/],
  ];
  for (const [entries, re] of cases) {
    await assert.rejects(read(entries, { maxMetadataFileBytes: 1000 }), (err: unknown) => err instanceof InvalidArgumentError && re.test(err.message), String(re));
  }
});

test('blobs must hash to their names; truncated archives fail', async () => {
  const good = Buffer.from('layer bytes');
  const name = `blobs/sha256/${sha256Digest(good).slice(7)}`;
  const { tree } = await read([{ header: { name }, content: good }]);
  assert.equal(tree.file(name, 'blob').digest, sha256Digest(good));
  await assert.rejects(read([{ header: { name }, content: 'other bytes' }]), /has the digest sha256:[a-f0-9]{64}, not the one its name gives/);

  const whole = await tarOf([{ header: { name: 'big' }, content: Buffer.alloc(10_000, 1) }]);
  await assert.rejects(
    readArchive(streamOf(whole.subarray(0, 4096)), { storeBlob: async (c) => { for await (const _ of c); return { digest: sha256Digest(''), size: 0 }; } }),
    (err: unknown) => err instanceof InvalidArgumentError && /invalid archive: cannot read the tar stream/.test(err.message),
  );
});
