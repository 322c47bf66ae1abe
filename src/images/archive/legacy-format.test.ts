import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest } from '../../util/digest.js';
import { chainIds } from '../chain-id.js';
import { encodeDockerManifest, parseDockerManifest } from './docker-manifest.js';
import { encodeRepositories, goJson, legacyLayers } from './legacy-layers.js';
import { parseImageConfig } from './parse-image-config.js';
import { nameFromAnnotations, ociLayerMediaType } from './oci-layout.js';

test('manifest.json is written as Docker encodes it and read back', () => {
  const bytes = encodeDockerManifest([
    { Config: 'a.json', RepoTags: ['x:1'], Layers: ['1/layer.tar'] },
    { Config: 'b.json', RepoTags: [], Layers: ['1/layer.tar', '2/layer.tar'] },
  ]);
  assert.equal(bytes.toString(), '[{"Config":"a.json","RepoTags":["x:1"],"Layers":["1/layer.tar"]},{"Config":"b.json","RepoTags":null,"Layers":["1/layer.tar","2/layer.tar"]}]\n');
  assert.deepEqual(parseDockerManifest(bytes)[1], { Config: 'b.json', RepoTags: null, Layers: ['1/layer.tar', '2/layer.tar'] });
  assert.throws(() => parseDockerManifest(Buffer.from('[{"Config":"a","Layers":"x"}]')), /Layers must be a list of paths/);
  assert.throws(() => parseDockerManifest(Buffer.from('[{"Layers":[]}]')), /has no Config path/);
  assert.throws(() => parseDockerManifest(Buffer.from('[{"Config":"a","Layers":[],"RepoTags":[1]}]')), /RepoTags must be a list of strings/);
});

test('legacy layer ids are deterministic, chained by parent, and differ for the top layer', () => {
  const diffIds = [sha256Digest('a'), sha256Digest('b')];
  const config = { created: '2024-01-01T00:00:00Z', architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers' as const, diff_ids: diffIds } };
  const one = legacyLayers(config, chainIds(diffIds));
  const two = legacyLayers(config, chainIds(diffIds));
  assert.deepEqual(one, two);
  assert.match(one[0]!.v1Id, /^[a-f0-9]{64}$/);
  const bottom = JSON.parse(one[0]!.json.toString());
  const top = JSON.parse(one[1]!.json.toString());
  assert.equal(bottom.id, one[0]!.v1Id);
  assert.equal(bottom.parent, undefined);
  assert.equal(bottom.created, '1970-01-01T00:00:00Z');
  assert.equal(top.parent, one[0]!.v1Id);
  assert.deepEqual(top.config, { Cmd: ['sh'] });
  assert.equal(top.architecture, 'amd64');
  // Another image on the same base shares the bottom directory but not the top one.
  const other = legacyLayers({ ...config, config: { Cmd: ['true'] } }, chainIds(diffIds));
  assert.equal(other[0]!.v1Id, one[0]!.v1Id);
  assert.notEqual(other[1]!.v1Id, one[1]!.v1Id);
});

test('repositories and Go-style JSON escaping', () => {
  const repos = new Map([['busybox', new Map([['latest', 'abc'], ['1', 'abc']])]]);
  assert.equal(encodeRepositories(repos).toString(), '{"busybox":{"1":"abc","latest":"abc"}}\n');
  assert.equal(goJson({ s: 'a && b <c>' }), '{"s":"a \\u0026\\u0026 b \\u003cc\\u003e"}');
});

test('image configs are checked before anything is unpacked', () => {
  const ok = parseImageConfig(Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest('x')] } })), 'c');
  assert.equal(ok.architecture, 'arm64');
  assert.throws(() => parseImageConfig(Buffer.from('{"os":"windows","rootfs":{"type":"layers","diff_ids":[]}}'), 'c'), /cannot load windows image on linux/);
  assert.throws(() => parseImageConfig(Buffer.from('{"rootfs":{"type":"layers","diff_ids":["md5:1"]}}'), 'c'), /invalid diff_id "md5:1"/);
  assert.throws(() => parseImageConfig(Buffer.from('{"rootfs":{}}'), 'c'), /no rootfs of type "layers"/);
  assert.throws(() => parseImageConfig(Buffer.from('[1]'), 'c'), /is not a JSON object/);
  assert.throws(() => parseImageConfig(Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":5}]}'), 'c'), /created_by is not a string/);
});

test('OCI annotations and layer media types', () => {
  assert.equal(nameFromAnnotations(undefined), null);
  assert.equal(nameFromAnnotations({ 'org.opencontainers.image.ref.name': 'v1' }), null);
  assert.deepEqual(nameFromAnnotations({ 'org.opencontainers.image.ref.name': 'busybox:v1' }), { domain: 'docker.io', path: 'library/busybox', tag: 'v1' });
  assert.deepEqual(nameFromAnnotations({ 'org.opencontainers.image.ref.name': 'x/y' }), { domain: 'docker.io', path: 'x/y', tag: 'latest' });
  assert.equal(nameFromAnnotations({ 'io.containerd.image.name': `busybox@${sha256Digest('m')}` }), null);
  assert.equal(ociLayerMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(ociLayerMediaType('application/vnd.oci.image.layer.v1.tar+zstd'), 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.equal(ociLayerMediaType('application/vnd.docker.image.rootfs.diff.tar'), 'application/vnd.oci.image.layer.v1.tar');
});
