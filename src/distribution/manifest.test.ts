import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest } from '../util/digest.js';
import { artifactTypeOf, parseManifest, referencedDescriptors } from './manifest.js';
import { RegistryError } from './registry-errors.js';
import { mediaTypes } from './media-types.js';

const d = (s: string) => sha256Digest(s);
const desc = (mediaType: string, s: string) => ({ mediaType, digest: d(s), size: s.length });
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

const image = {
  schemaVersion: 2,
  mediaType: mediaTypes.ociManifest,
  config: desc(mediaTypes.ociConfig, 'config'),
  layers: [desc(mediaTypes.ociLayerGzip, 'l1'), desc(mediaTypes.ociLayerGzip, 'l2')],
};

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RegistryError);
    assert.equal(e.code, 'MANIFEST_INVALID');
    assert.match(e.message, pattern);
    return true;
  });
}

test('an OCI image manifest parses with its digest, bytes kept as they are', () => {
  const b = Buffer.from(JSON.stringify(image, null, 3));
  const m = parseManifest(b, mediaTypes.ociManifest);
  assert.equal(m.kind, 'image');
  assert.equal(m.mediaType, mediaTypes.ociManifest);
  assert.equal(m.digest, sha256Digest(b));
  assert.equal(m.bytes, b);
  assert.deepEqual(referencedDescriptors(m).map((x) => x.digest), [d('config'), d('l1'), d('l2')]);
  assert.equal(artifactTypeOf(m), mediaTypes.ociConfig);
});

test('indexes and Docker manifest lists parse; the shape decides when no type is given', () => {
  const index = { schemaVersion: 2, manifests: [{ ...desc(mediaTypes.ociManifest, 'm'), platform: { os: 'linux', architecture: 'amd64' } }] };
  assert.equal(parseManifest(bytes(index)).mediaType, mediaTypes.ociIndex);
  assert.equal(parseManifest(bytes({ ...index, mediaType: mediaTypes.dockerManifestList }), mediaTypes.dockerManifestList).kind, 'index');
  assert.equal(parseManifest(bytes({ schemaVersion: 2, config: image.config, layers: [] })).mediaType, mediaTypes.ociManifest);
  assert.equal(parseManifest(bytes(image), 'application/json').kind, 'image');
});

test('malformed manifests are refused with the reason', () => {
  refused(() => parseManifest(Buffer.from('{not json')), /not JSON/);
  refused(() => parseManifest(Buffer.from('[]')), /not a JSON object/);
  refused(() => parseManifest(bytes({ ...image, schemaVersion: 1 })), /schema 1/);
  refused(() => parseManifest(bytes({ ...image, schemaVersion: 3 })), /schemaVersion must be 2/);
  refused(() => parseManifest(bytes(image), mediaTypes.dockerManifest), /does not match the Content-Type/);
  refused(() => parseManifest(bytes({ ...image, config: { ...image.config, digest: 'sha256:xyz' } })), /config.digest/);
  refused(() => parseManifest(bytes({ ...image, layers: [{ ...image.layers[0], size: -1 }] })), /layers\[0\].size/);
  refused(() => parseManifest(bytes({ ...image, layers: 'x' })), /layers must be an array/);
  refused(() => parseManifest(bytes({ ...image, mediaType: mediaTypes.dockerManifest, layers: [] }), mediaTypes.dockerManifest), /at least one layer/);
  refused(() => parseManifest(bytes({ ...image, mediaType: 'application/x-thing' }), 'application/x-thing'), /unsupported manifest media type/);
  refused(() => parseManifest(bytes({ ...image, annotations: { a: 1 } })), /annotations/);
  refused(() => parseManifest(bytes({ ...image, config: { ...image.config, data: Buffer.from('other').toString('base64') } })), /data does not match/);
  refused(() => parseManifest(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)), /larger than/);
});

test('subject and artifactType are read for the referrers API', () => {
  const sig = { ...image, artifactType: 'application/vnd.example.sig', subject: desc(mediaTypes.ociManifest, 'target') };
  const m = parseManifest(bytes(sig), mediaTypes.ociManifest);
  assert.equal(artifactTypeOf(m), 'application/vnd.example.sig');
  refused(() => parseManifest(bytes({ ...sig, subject: { digest: 'nope' } })), /subject/);
});
