/**
 * Test images made from scratch: gzip tar layers packed with src/util/tar, an OCI config and
 * manifest, written as an OCI image layout directory that skopeo copies from (`oci:DIR:TAG`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256Digest, type Digest } from '../../src/util/digest.js';
import { packEntries } from '../../src/util/tar/index.js';
import { mediaTypes } from '../../src/distribution/index.js';

export interface Blob {
  readonly digest: Digest;
  readonly bytes: Buffer;
  readonly mediaType: string;
}

export interface TestImage {
  readonly config: Blob;
  readonly layers: Blob[];
  readonly manifest: Blob;
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function blob(bytes: Buffer, mediaType: string): Blob {
  return { digest: sha256Digest(bytes), bytes, mediaType };
}

/** An image of `layerCount` layers; each holds a file of `layerBytes` pseudo-random bytes, different per `seed`. */
export async function makeImage(opts: { seed: string; layerCount?: number; layerBytes?: number }): Promise<TestImage> {
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < (opts.layerCount ?? 3); i++) {
    const content = Buffer.alloc(opts.layerBytes ?? 4096);
    // Cheap deterministic noise so gzip cannot shrink the layer: a 32-bit LCG, multiplied with
    // Math.imul (a plain `*` rounds past 2^53, and the sequence then cycles within ~8k steps,
    // which made an "8 MiB" layer gzip to 62 KB).
    let x = 0;
    for (const ch of `${opts.seed}-${i}`) x = (Math.imul(x, 31) + ch.charCodeAt(0)) >>> 0;
    for (let j = 0; j < content.length; j++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      content[j] = x >>> 24;
    }
    const tar = await collect(
      packEntries([
        { name: `layer${i}`, type: 'directory', mode: 0o755 },
        { name: `layer${i}/data.bin`, type: 'file', mode: 0o644, content },
      ]),
    );
    diffIds.push(sha256Digest(tar));
    layers.push(blob(gzipSync(tar), mediaTypes.ociLayerGzip));
  }
  const config = blob(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: [] })),
    mediaTypes.ociConfig,
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.bytes.length })),
      }),
    ),
    mediaTypes.ociManifest,
  );
  return { config, layers, manifest };
}

/** Writes `image` as an OCI image layout in `dir`, tagged `tag`. */
export function writeOciLayout(dir: string, image: TestImage, tag = 'latest'): void {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  for (const b of [image.config, ...image.layers, image.manifest]) writeFileSync(join(blobs, b.digest.slice(7)), b.bytes);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: mediaTypes.ociManifest, digest: image.manifest.digest, size: image.manifest.bytes.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
}
