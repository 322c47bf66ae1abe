/**
 * Small images made in memory for registry tests: random (incompressible) layer blobs, a config,
 * and an OCI or Docker schema 2 manifest pointing at them, plus an index over several manifests.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sha256Digest } from '../../src/util/digest.js';
import { mediaTypes, type Descriptor } from '../../src/distribution/index.js';

export interface Blob {
  desc: Descriptor;
  bytes: Buffer;
}

export interface TestImage {
  config: Blob;
  layers: Blob[];
  manifest: Buffer;
  manifestType: string;
  manifestDesc: Descriptor;
}

export function blobOf(bytes: Buffer, mediaType: string): Blob {
  return { desc: { mediaType, digest: sha256Digest(bytes), size: bytes.length }, bytes };
}

export function makeImage(layerSizes: number[], flavour: 'oci' | 'docker' = 'oci', label = 'test'): TestImage {
  const layerType = flavour === 'oci' ? mediaTypes.ociLayerGzip : mediaTypes.dockerLayerGzip;
  const layers = layerSizes.map((n) => blobOf(randomBytes(n), layerType));
  const config = blobOf(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { label } }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.desc.digest) } })),
    flavour === 'oci' ? mediaTypes.ociConfig : mediaTypes.dockerConfig,
  );
  const manifestType = flavour === 'oci' ? mediaTypes.ociManifest : mediaTypes.dockerManifest;
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: manifestType, config: config.desc, layers: layers.map((l) => l.desc) }, null, 2));
  return { config, layers, manifest, manifestType, manifestDesc: { mediaType: manifestType, digest: sha256Digest(manifest), size: manifest.length } };
}

export function makeIndex(entries: Array<{ desc: Descriptor; platform: { os: string; architecture: string; variant?: string } }>): Blob {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: entries.map((e) => ({ ...e.desc, platform: e.platform })) }));
  return blobOf(bytes, mediaTypes.ociIndex);
}

/** A `pushBlob` opener over a buffer, counting how often it was opened. */
export function opener(bytes: Buffer): { open: () => Readable; opened: () => number } {
  let n = 0;
  return {
    open: () => {
      n++;
      // Several chunks, as a file stream would give them.
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 64 * 1024) parts.push(bytes.subarray(i, i + 64 * 1024));
      return Readable.from(parts);
    },
    opened: () => n,
  };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
