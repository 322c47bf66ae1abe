/**
 * Shared parts of the pull/push integration tests: calling pull and push on a test berthd and
 * reading Docker's JSON progress stream back, X-Registry-Auth values, a data-root census (blobs,
 * snapshots, ingests, images) to prove nothing was half-stored, and a multi-layer test image with
 * every kind of entry a layer can hold, written as an OCI layout for skopeo to push.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { sha256Digest, type Digest } from '../../src/util/digest.js';
import { packEntries, type TarEntry } from '../../src/util/tar/index.js';
import { mediaTypes } from '../../src/distribution/index.js';
import type { TestDaemon } from './test-daemon.js';

export interface JsonMsg {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: Record<string, unknown>;
}

export interface StreamResult {
  status: number;
  text: string;
  messages: JsonMsg[];
  /** `id: status` lines, as the docker CLI prints them without a terminal. */
  lines: string[];
  error?: string;
}

export function parseStream(status: number, text: string): StreamResult {
  const messages: JsonMsg[] = [];
  if (status === 200) {
    for (const line of text.split('\r\n')) if (line.trim()) messages.push(JSON.parse(line) as JsonMsg);
  }
  const lines = messages.filter((m) => m.status).map((m) => (m.id ? `${m.id}: ${m.status}` : m.status!));
  const err = messages.find((m) => m.error)?.error ?? (status !== 200 ? (JSON.parse(text) as { message: string }).message : undefined);
  return { status, text, messages, lines, ...(err !== undefined ? { error: err } : {}) };
}

export function registryAuth(auth: Record<string, string>): Record<string, string> {
  return { 'X-Registry-Auth': Buffer.from(JSON.stringify(auth)).toString('base64url') };
}

export async function apiPull(d: TestDaemon, image: string, tag: string | undefined, headers: Record<string, string> = {}, platform?: string): Promise<StreamResult> {
  const q = new URLSearchParams({ fromImage: image, ...(tag ? { tag } : {}), ...(platform ? { platform } : {}) });
  const r = await d.api('POST', `/images/create?${q}`, undefined, headers);
  return parseStream(r.status, r.text);
}

export async function apiPush(d: TestDaemon, name: string, tag: string | undefined, headers: Record<string, string> = registryAuth({})): Promise<StreamResult> {
  const q = tag ? `?tag=${encodeURIComponent(tag)}` : '';
  const r = await d.api('POST', `/images/${name}/push${q}`, undefined, headers);
  return parseStream(r.status, r.text);
}

/** What the data root holds: used to prove a failure stored nothing. */
export async function census(d: TestDaemon): Promise<{ blobs: string[]; snapshots: string[]; ingests: string[]; images: string[] }> {
  const ls = (p: string) => (existsSync(p) ? readdirSync(p).sort() : []);
  const images = ((await d.api('GET', '/images/json?all=1')).json as Array<{ Id: string }>).map((i) => i.Id).sort();
  return {
    blobs: ls(join(d.dataRoot, 'content', 'blobs', 'sha256')),
    snapshots: ls(join(d.dataRoot, 'snapshots')).filter((n) => n !== 'empty'),
    ingests: ls(join(d.dataRoot, 'content', 'ingest')),
    images,
  };
}

async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of packEntries(entries)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface LayoutImage {
  manifestDigest: Digest;
  configDigest: Digest;
  diffIds: Digest[];
  layerDigests: Digest[];
}

/**
 * Writes an image into an OCI layout `dir` under `tag`: `layers` are tar entry lists, compressed
 * as given. Returns its digests. Several images may share one layout (index.json lists them all).
 */
export async function writeLayoutImage(
  dir: string,
  tag: string,
  layers: Array<{ entries: TarEntry[]; compression: 'gzip' | 'zstd' | 'none' }>,
  platform: { os: string; architecture: string; variant?: string } = { os: 'linux', architecture: 'amd64' },
  config: Record<string, unknown> = { Cmd: ['/bin/sh'] },
): Promise<LayoutImage> {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer): Digest => {
    const d = sha256Digest(b);
    writeFileSync(join(blobs, d.slice(7)), b);
    return d;
  };
  const descs = [];
  const diffIds: Digest[] = [];
  for (const l of layers) {
    const tar = await tarOf(l.entries);
    diffIds.push(sha256Digest(tar));
    const blob = l.compression === 'gzip' ? gzipSync(tar) : l.compression === 'zstd' ? execFileSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 1 << 30 }) : tar;
    const mediaType = l.compression === 'gzip' ? mediaTypes.ociLayerGzip : l.compression === 'zstd' ? mediaTypes.ociLayerZstd : mediaTypes.ociLayer;
    descs.push({ mediaType, digest: put(blob), size: blob.length });
  }
  const cfg = Buffer.from(JSON.stringify({ ...platform, created: '2024-02-03T04:05:06Z', config, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configDigest = put(cfg);
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: configDigest, size: cfg.length }, layers: descs }),
  );
  const manifestDigest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const indexPath = join(dir, 'index.json');
  const index: { manifests: unknown[] } = existsSync(indexPath) ? (JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: unknown[] }) : { manifests: [] };
  index.manifests.push({
    mediaType: mediaTypes.ociManifest,
    digest: manifestDigest,
    size: manifest.length,
    platform,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  writeFileSync(indexPath, JSON.stringify({ schemaVersion: 2, ...index }));
  return { manifestDigest, configDigest, diffIds, layerDigests: descs.map((d) => d.digest) };
}

/**
 * Adds an OCI index of images already in the layout (as writeLayoutImage returned them) under
 * `tag`, for `skopeo copy --all`. Returns the index digest.
 */
export function writeLayoutIndex(dir: string, tag: string, images: Array<{ image: LayoutImage; platform: { os: string; architecture: string; variant?: string } }>): Digest {
  const blobs = join(dir, 'blobs', 'sha256');
  const entries = images.map(({ image, platform }) => ({
    mediaType: mediaTypes.ociManifest,
    digest: image.manifestDigest,
    size: readFileSync(join(blobs, image.manifestDigest.slice(7))).length,
    platform,
  }));
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: entries }));
  const digest = sha256Digest(index);
  writeFileSync(join(blobs, digest.slice(7)), index);
  const indexPath = join(dir, 'index.json');
  const top = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: unknown[] };
  top.manifests.push({ mediaType: mediaTypes.ociIndex, digest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': tag } });
  writeFileSync(indexPath, JSON.stringify({ schemaVersion: 2, ...top }));
  return digest;
}

/** busybox from the host: /bin/busybox and the applets a test needs, as one layer. */
export function busyboxEntries(applets: string[] = ['sh', 'sleep', 'cat', 'ls', 'stat', 'echo', 'readlink']): TarEntry[] {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('the host has no static busybox (Debian busybox-static)');
  return [
    { name: 'bin', type: 'directory' },
    { name: 'bin/busybox', type: 'file', mode: 0o755, content: { path: busybox } },
    ...applets.map((a): TarEntry => ({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    { name: 'tmp', type: 'directory', mode: 0o1777 },
  ];
}
