import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest, type Digest } from '../../util/digest.js';
import type { ImageRecord } from '../../images/index.js';
import { imageHistory } from './image-history.js';

function record(over: Partial<ImageRecord> & { history: NonNullable<ImageRecord['config']['history']> }): ImageRecord {
  const layers = [sha256Digest('l0'), sha256Digest('l1')].map((d, i) => ({ digest: d, diffId: d, mediaType: 'application/vnd.oci.image.layer.v1.tar', size: (i + 1) * 1000 }));
  return {
    id: sha256Digest('img'),
    manifestDigest: null,
    manifestMediaType: null,
    manifestOrigin: 'local',
    created: '2024-01-01T00:00:00Z',
    size: 3000,
    layers,
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, history: over.history },
    lastTagTime: null,
    parent: null,
    ...over,
  };
}

test('history lists entries newest first with layer sizes; only the top carries id and tags', () => {
  const img = record({
    history: [
      { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in /' },
      { created: '2024-01-01T00:00:01.5Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
      { created: '2024-01-02T00:00:00Z', created_by: 'RUN make', comment: 'buildkit.dockerfile.v0' },
    ],
  });
  const h = imageHistory(img, { get: () => undefined, tagsOf: () => ['app:1'] });
  assert.deepEqual(h, [
    { Id: img.id, Created: 1704153600, CreatedBy: 'RUN make', Tags: ['app:1'], Size: 2000, Comment: 'buildkit.dockerfile.v0' },
    { Id: '<missing>', Created: 1704067201, CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]', Tags: null, Size: 0, Comment: '' },
    { Id: '<missing>', Created: 1704067200, CreatedBy: '/bin/sh -c #(nop) ADD file:abc in /', Tags: null, Size: 1000, Comment: '' },
  ]);
  assert.equal(JSON.stringify(Object.keys(h[0]!)), '["Id","Created","CreatedBy","Tags","Size","Comment"]');
});

test('a local parent names the entries below; too many layer entries are an error', () => {
  const parent = record({ id: sha256Digest('parent') as Digest, history: [{ created_by: 'base' }] });
  const child = record({ parent: parent.id, history: [{ created_by: 'base' }, { created_by: 'top' }] });
  const h = imageHistory(child, { get: (id) => (id === parent.id ? parent : undefined), tagsOf: (id) => (id === parent.id ? [] : ['c:1']) });
  assert.deepEqual(h.map((x) => [x.Id, x.Tags]), [[child.id, ['c:1']], [parent.id, null]]);
  assert.equal(h[1]!.Created, 0);
  const broken = record({ history: [{ created_by: 'a' }, { created_by: 'b' }, { created_by: 'c' }] });
  assert.throws(() => imageHistory(broken, { get: () => undefined, tagsOf: () => [] }), /too many non-empty layers in History section/);
  assert.deepEqual(imageHistory(record({ history: [] }), { get: () => undefined, tagsOf: () => [] }), []);
});
