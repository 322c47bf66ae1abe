import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest, type Digest } from '../../util/digest.js';
import type { ImageRecord } from '../../images/index.js';
import { imageDiskUsage } from './disk-usage.js';

function img(name: string, layers: Array<[string, number]>): ImageRecord {
  const ls = layers.map(([l, size]) => ({ digest: sha256Digest(l), diffId: sha256Digest(l), mediaType: 'application/vnd.oci.image.layer.v1.tar', size }));
  return {
    id: sha256Digest(name) as Digest,
    manifestDigest: null,
    manifestMediaType: null,
    manifestOrigin: 'local',
    created: '2024-01-01T00:00:00Z',
    size: ls.reduce((n, l) => n + l.size, 0),
    layers: ls,
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ls.map((l) => l.diffId) } },
    lastTagTime: null,
    parent: null,
  };
}

test('df counts each layer once, shares by chain, and counts containers per image', () => {
  const a = img('a', [['base', 1000], ['app-a', 300]]);
  const b = img('b', [['base', 1000], ['app-b', 50]]);
  const c = img('c', [['other', 7]]);
  const u = imageDiskUsage({ images: [a, b, c], hasRefs: () => true, hasChildren: () => false, containerImages: [a.id, a.id, c.id] });
  assert.equal(u.layersSize, 1000 + 300 + 50 + 7);
  assert.deepEqual(
    u.images.map((i) => [i.img.id, i.size, i.sharedSize, i.containers]),
    [[a.id, 1300, 1000, 2], [b.id, 1050, 1000, 0], [c.id, 7, 0, 1]],
  );
  // The same diff on top of another base is a different chain: not shared.
  const d = img('d', [['other', 7], ['app-a', 300]]);
  const v = imageDiskUsage({ images: [a, d], hasRefs: () => true, hasChildren: () => false, containerImages: [] });
  assert.deepEqual(v.images.map((i) => i.sharedSize), [0, 0]);
});

test('intermediate images (untagged, with children) are not listed, but their layers still count as shared', () => {
  const parent = img('p', [['base', 1000]]);
  const child = img('ch', [['base', 1000], ['top', 10]]);
  const u = imageDiskUsage({ images: [parent, child], hasRefs: (id) => id === child.id, hasChildren: (id) => id === parent.id, containerImages: [] });
  assert.deepEqual(u.images.map((i) => i.img.id), [child.id]);
  assert.equal(u.images[0]!.sharedSize, 1000);
  assert.equal(u.layersSize, 1010);
  assert.deepEqual(imageDiskUsage({ images: [], hasRefs: () => false, hasChildren: () => false, containerImages: [] }), { layersSize: 0, images: [] });
});
