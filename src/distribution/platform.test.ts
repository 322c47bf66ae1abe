import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Digest } from '../util/digest.js';
import { formatPlatform, parsePlatform, platformMatches, selectPlatformManifest } from './platform.js';
import type { ImageIndex } from './descriptor.js';

test('platform strings parse as Docker reads them', () => {
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('linux/aarch64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
  assert.deepEqual(parsePlatform('x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.equal(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }), 'linux/arm/v7');
  assert.throws(() => parsePlatform('linux/amd64/v1/x'), /unknown operating system or architecture/);
});

test('the manifest for a platform is chosen from an index; attestations never match', () => {
  const entry = (p: object, s: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(s), size: 1, platform: p as never });
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      entry({ os: 'unknown', architecture: 'unknown' }, 'att'),
      entry({ os: 'linux', architecture: 'arm', variant: 'v6' }, 'v6'),
      entry({ os: 'linux', architecture: 'arm', variant: 'v7' }, 'v7'),
      entry({ os: 'linux', architecture: 'amd64' }, 'amd64'),
      entry({ os: 'linux', architecture: 'arm64' }, 'arm64'),
    ],
  };
  assert.equal(selectPlatformManifest(index, parsePlatform('linux/amd64'))?.digest, sha256Digest('amd64'));
  assert.equal(selectPlatformManifest(index, parsePlatform('linux/arm/v7'))?.digest, sha256Digest('v7'));
  assert.equal(selectPlatformManifest(index, parsePlatform('linux/arm64'))?.digest, sha256Digest('arm64'));
  assert.equal(selectPlatformManifest(index, parsePlatform('linux/s390x')), undefined);
  assert.equal(platformMatches(undefined, parsePlatform('linux/amd64')), false);
});
