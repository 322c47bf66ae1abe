/**
 * Multi-layer images for archive tests: the busybox layer a test daemon bootstrapped, with
 * layers the test writes on top (files, an overwrite, a whiteout, a hardlink, a symlink), put in
 * `docker save` or OCI archives by Berth's writers and loaded through the API.
 */
import tar from 'tar-stream';
import { Readable } from 'node:stream';
import { tarOf, type FixtureEntry } from '../../src/util/tar/layer-fixtures.js';
import { fixtureImage, type FixtureImage } from '../../src/images/archive/archive-fixtures.js';
import type { TestDaemon } from './test-daemon.js';

/** Every entry of a tar archive: name → bytes (files), or the link target for links. */
export async function tarEntries(archive: Buffer): Promise<Map<string, { type: string; data: Buffer; linkname: string | null }>> {
  const out = new Map<string, { type: string; data: Buffer; linkname: string | null }>();
  const extract = tar.extract();
  Readable.from([archive]).pipe(extract);
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e as AsyncIterable<Buffer>) chunks.push(c);
    out.set(e.header.name.replace(/\/$/, ''), { type: e.header.type ?? 'file', data: Buffer.concat(chunks), linkname: e.header.linkname ?? null });
  }
  return out;
}

/** The uncompressed layer of the daemon's busybox:latest, read back through `GET /images/busybox/get`. */
export async function busyboxLayer(d: TestDaemon): Promise<Buffer> {
  const r = await d.api('GET', '/images/busybox:latest/get');
  if (r.status !== 200) throw new Error(`save busybox: ${r.status} ${r.text}`);
  const entries = await tarEntries(r.body);
  const manifest = JSON.parse(entries.get('manifest.json')!.data.toString()) as Array<{ Layers: string[] }>;
  return entries.get(manifest[0]!.Layers[0]!)!.data;
}

export const appV1: FixtureEntry[] = [
  { header: { name: 'app/', type: 'directory', mode: 0o755 } },
  { header: { name: 'app/version', mode: 0o644 }, content: 'v1\n' },
  { header: { name: 'app/doomed', mode: 0o644 }, content: 'to be deleted\n' },
  { header: { name: 'app/run.sh', mode: 0o755 }, content: '#!/bin/sh\necho "running $(cat /app/version)"\n' },
];

/** On top of appV1: overwrites version, deletes doomed (whiteout), adds a hardlink and a symlink. */
export const appV2: FixtureEntry[] = [
  { header: { name: 'app/', type: 'directory', mode: 0o755 } },
  { header: { name: 'app/version', mode: 0o644 }, content: 'v2\n' },
  { header: { name: 'app/.wh.doomed', mode: 0o644 }, content: '' },
  { header: { name: 'app/version-link', type: 'link', linkname: 'app/version' } },
  { header: { name: 'app/latest', type: 'symlink', linkname: 'version' } },
];

/** busybox + app v1 (+ app v2): a two- or three-layer image with Docker-like history. */
export async function appImage(base: Buffer, opts: { tags: string[]; v2?: boolean; gzip?: boolean; created?: string; labels?: Record<string, string> }): Promise<FixtureImage> {
  const layers = [base, await tarOf(appV1)];
  if (opts.v2) layers.push(await tarOf(appV2));
  return fixtureImage({ layers, tags: opts.tags, cmd: ['/app/run.sh'], ...(opts.gzip ? { gzip: true } : {}), ...(opts.created ? { created: opts.created } : {}), ...(opts.labels ? { labels: opts.labels } : {}) });
}

/** Posts an archive to `/images/load`; returns the JSON messages. */
export async function loadArchive(d: TestDaemon, archive: Buffer, quiet = true): Promise<Array<{ stream?: string; error?: string; status?: string; id?: string; progressDetail?: { current: number; total: number } }>> {
  const r = await d.api('POST', `/images/load?quiet=${quiet ? 1 : 0}`, archive, { 'Content-Type': 'application/x-tar' });
  if (r.status !== 200) throw new Error(`load: ${r.status} ${r.text}`);
  return r.text
    .split('\r\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}
