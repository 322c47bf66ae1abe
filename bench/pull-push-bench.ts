/**
 * Pull and push speed through the engine, against the reference registry (`/usr/bin/docker-registry`
 * on 127.0.0.1, filesystem storage in a temp dir): an image of four ~100 MB incompressible layers
 * and one layer of ~20,000 small files, pulled into a private berthd and, given a Docker socket,
 * into Docker, with the same client (the docker CLI) and from the same registry.
 *
 * pull: the image is removed from the engine first (rmi, so its blobs and layers go), then
 *       `docker pull` is timed until it exits.
 * push: the pulled image is tagged into a fresh, empty registry (a new one per run, so no layer
 *       exists there and none can be mounted) and `docker push` is timed.
 * Throughput = compressed bytes of the image / wall time. Engines take turns run by run (the
 * machine's load changes), each run after `quiesce()`: a `sync` and, as root, dropping the
 * kernel's caches. On this machine class the dentry and inode caches left by deleting tens of
 * thousands of files (the previous run's rmi) make creating files several times slower for a
 * while, for whichever engine runs next; dropping them gives every run the same start. The
 * registry then reads its blobs cold, alike for both. Prints medians and the ratio.
 *
 *   node dist/bench/pull-push-bench.js [--runs 3] [--layers 4] [--layer-mb 100] [--files 20000]
 *                                       [--docker-host unix:///var/run/docker.sock] [--only pull|push|local]
 *                                       [--engines berth,docker] [--layout DIR]
 *
 * --layout keeps the generated image (an OCI layout) in DIR and reuses it on the next run.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { sha256Digest, Digester, type Digest } from '../src/util/digest.js';
import { packEntries, type TarEntry } from '../src/util/tar/index.js';
import { mediaTypes } from '../src/distribution/index.js';
import { median } from './lib/stats.js';
import { dockerCli, startPrivateBerthd, startReferenceRegistry, stopChild } from './lib/processes.js';

const pexec = promisify(execFile);

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    layers: { type: 'string', default: '4' },
    'layer-mb': { type: 'string', default: '100' },
    files: { type: 'string', default: '20000' },
    'docker-host': { type: 'string' },
    only: { type: 'string' },
    engines: { type: 'string', default: 'berth,docker' },
    layout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log('usage: node dist/bench/pull-push-bench.js [--runs N] [--layers N] [--layer-mb N] [--files N] [--docker-host unix:///PATH] [--only pull|push|local]');
  process.exit(0);
}
const runs = Number(opts.runs);

interface Registry {
  host: string;
  root: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startRegistry(work: string): Promise<Registry> {
  const root = mkdtempSync(join(work, 'registry-'));
  const r = await startReferenceRegistry({ root: join(root, 'data'), configDir: root });
  return {
    host: r.host,
    root,
    child: r.child,
    stop: async () => {
      await stopChild(r.child);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Writes a gzip layer blob made from `entries` into the layout; returns its descriptor and diff id. */
async function writeLayer(blobs: string, entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<{ digest: Digest; size: number; diffId: Digest }> {
  const tmp = join(blobs, `tmp-${randomBytes(4).toString('hex')}`);
  const diff = new Digester();
  const blob = new Digester();
  const tar = packEntries(entries);
  tar.on('data', (c: Buffer) => diff.update(c));
  const gz = createGzip({ level: 1 });
  gz.on('data', (c: Buffer) => blob.update(c));
  await pipeline(tar, gz, createWriteStream(tmp));
  const digest = blob.digest();
  const { renameSync } = await import('node:fs');
  renameSync(tmp, join(blobs, digest.slice(7)));
  return { digest, size: blob.size, diffId: diff.digest() };
}

/** The benchmark image as an OCI layout in `dir`; returns the compressed size. */
async function buildImage(dir: string): Promise<number> {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layers = [];
  const mb = Number(opts['layer-mb']);
  for (let i = 0; i < Number(opts.layers); i++) {
    // Random bytes in 1 MiB pieces: gzip cannot shrink them.
    async function* big(): AsyncGenerator<TarEntry> {
      yield { name: `big${i}`, type: 'directory' };
      const chunks: Buffer[] = [];
      for (let j = 0; j < mb; j++) chunks.push(randomBytes(1024 * 1024));
      yield { name: `big${i}/data.bin`, type: 'file', content: Buffer.concat(chunks) };
    }
    layers.push(await writeLayer(blobs, big()));
  }
  const files = Number(opts.files);
  function* small(): Generator<TarEntry> {
    const perDir = 100;
    for (let d = 0; d < Math.ceil(files / perDir); d++) {
      yield { name: `small/d${d}`, type: 'directory' };
      for (let f = 0; f < perDir && d * perDir + f < files; f++) {
        yield { name: `small/d${d}/f${f}.txt`, type: 'file', content: randomBytes(200 + ((d * 131 + f * 17) % 3800)).toString('base64') };
      }
    }
  }
  layers.push(await writeLayer(blobs, [{ name: 'small', type: 'directory' }, ...small()]));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'bench' })),
    }),
  );
  writeFileSync(join(blobs, sha256Digest(config).slice(7)), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: sha256Digest(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: mediaTypes.ociLayerGzip, digest: l.digest, size: l.size })),
    }),
  );
  writeFileSync(join(blobs, sha256Digest(manifest).slice(7)), manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: mediaTypes.ociManifest, digest: sha256Digest(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
    }),
  );
  return layers.reduce((n, l) => n + l.size, config.length);
}

/** The layer blob files of the image in a layout, bottom first. */
function layerBlobs(layout: string): string[] {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const m = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
  return m.layers.map((l) => join(layout, 'blobs', 'sha256', l.digest.slice(7)));
}

/** The compressed size of the image in an existing layout (config and layers). */
function imageBytes(layout: string): number {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const m = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as {
    config: { size: number };
    layers: Array<{ size: number }>;
  };
  return m.layers.reduce((n, l) => n + l.size, m.config.size);
}

async function docker(host: string, args: string[]): Promise<string> {
  const { stdout } = await pexec(dockerCli, ['-H', host, ...args], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DOCKER_CONFIG: '/nonexistent-bench-config' } });
  return stdout;
}

let dropWarned = false;
/** Flushes dirty data and drops the page, dentry and inode caches (see the header). */
async function quiesce(): Promise<void> {
  await pexec('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch (err) {
    if (!dropWarned) console.error(`cannot drop the kernel's caches (${(err as Error).message}); runs will vary more`);
    dropWarned = true;
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function main(): Promise<void> {
  const work = mkdtempSync('/var/tmp/berth-pull-push-bench-');
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const layout = opts.layout ?? join(work, 'layout');
    let bytes: number;
    if (opts.layout && existsSync(join(layout, 'index.json'))) {
      bytes = imageBytes(layout);
    } else {
      console.error('building the image …');
      bytes = await buildImage(layout);
    }
    const source = await startRegistry(work);
    cleanups.push(source.stop);
    // Stored as Docker schema 2, the format most registries serve.
    await pexec('skopeo', ['copy', '--quiet', '--format', 'v2s2', '--dest-tls-verify=false', `oci:${layout}:latest`, `docker://${source.host}/bench/image:latest`]);
    console.error(`image: ${(bytes / 1e6).toFixed(0)} MB compressed, in ${source.host}/bench/image:latest`);

    const wanted = opts.engines!.split(',');
    const engines: Array<{ name: string; host: string }> = [];
    if (wanted.includes('berth')) {
      const berthd = await startPrivateBerthd(work);
      cleanups.push(berthd.stop);
      engines.push({ name: 'berth', host: berthd.host });
    }
    if (opts['docker-host'] && wanted.includes('docker')) engines.push({ name: 'docker', host: opts['docker-host'] });
    const image = `${source.host}/bench/image:latest`;
    const results = new Map<string, { pull: number[]; push: number[]; local?: number[] }>();
    for (const e of engines) results.set(e.name, { pull: [], push: [] });
    // Engines take turns run by run, so a change in the machine's load hits both alike.
    for (let i = 0; i < (opts.only === 'local' ? 0 : runs); i++) {
      for (const e of engines) {
        await docker(e.host, ['rmi', '-f', image]).catch(() => '');
        await quiesce();
        const s = await timed(() => docker(e.host, ['pull', '-q', image]));
        results.get(e.name)!.pull.push(s);
        console.error(`  ${e.name} pull ${i + 1}/${runs}: ${s.toFixed(2)} s (${(bytes / 1e6 / s).toFixed(0)} MB/s)`);
      }
    }
    if (opts.only === undefined || opts.only === 'push') {
      for (let i = 0; i < runs; i++) {
        for (const e of engines) {
          const target = await startRegistry(work);
          const dest = `${target.host}/bench/pushed:latest`;
          await docker(e.host, ['tag', image, dest]);
          await quiesce();
          const s = await timed(() => docker(e.host, ['push', dest]));
          results.get(e.name)!.push.push(s);
          console.error(`  ${e.name} push ${i + 1}/${runs}: ${s.toFixed(2)} s (${(bytes / 1e6 / s).toFixed(0)} MB/s)`);
          await docker(e.host, ['rmi', dest]).catch(() => '');
          await target.stop();
        }
      }
    }
    for (const e of engines) await docker(e.host, ['rmi', '-f', image]).catch(() => '');

    // Local images (no compressed blob known): each layer imported as an image of its own, so
    // the engine has to compress before it uploads. Timed: pushing all of them.
    if (opts.only === undefined || opts.only === 'local') {
      const layerFiles = layerBlobs(layout);
      for (const e of engines) {
        results.get(e.name)!.local = [];
        for (let l = 0; l < layerFiles.length; l++) await docker(e.host, ['import', layerFiles[l]!, `bench/local:${l}`]);
      }
      for (let i = 0; i < runs; i++) {
        for (const e of engines) {
          const target = await startRegistry(work);
          for (let l = 0; l < layerFiles.length; l++) await docker(e.host, ['tag', `bench/local:${l}`, `${target.host}/bench/local:${l}`]);
          await quiesce();
          const s = await timed(() => docker(e.host, ['push', '-a', `${target.host}/bench/local`]));
          results.get(e.name)!.local!.push(s);
          console.error(`  ${e.name} push of local images ${i + 1}/${runs}: ${s.toFixed(2)} s (${(bytes / 1e6 / s).toFixed(0)} MB/s)`);
          for (let l = 0; l < layerFiles.length; l++) await docker(e.host, ['rmi', `${target.host}/bench/local:${l}`]).catch(() => '');
          await target.stop();
        }
      }
      for (const e of engines) for (let l = 0; l < layerFiles.length; l++) await docker(e.host, ['rmi', '-f', `bench/local:${l}`]).catch(() => '');
    }
    console.log(`\nimage: ${Number(opts.layers)} x ${opts['layer-mb']} MB random + ${opts.files} small files = ${(bytes / 1e6).toFixed(0)} MB compressed; median of ${runs}`);
    console.log('operation   engine   seconds   MB/s');
    const label = { pull: 'pull', push: 'push', local: 'push-local' } as const;
    for (const op of ['pull', 'push', 'local'] as const) {
      for (const [name, r] of results) {
        const v = r[op];
        if (!v?.length) continue;
        const m = median(v);
        console.log(`${label[op].padEnd(11)} ${name.padEnd(8)} ${m.toFixed(2).padStart(7)}   ${(bytes / 1e6 / m).toFixed(0).padStart(4)}`);
      }
      const b = results.get('berth')?.[op];
      const d = results.get('docker')?.[op];
      if (b?.length && d?.length) console.log(`${label[op].padEnd(11)} ratio    berth is ${(median(d) / median(b)).toFixed(2)}x Docker's throughput`);
    }
    console.log('push: the pulled image to an empty registry; push-local: each layer imported as a local image (the engine compresses it), all pushed with -a');
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
