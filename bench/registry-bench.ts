/**
 * Registry speed: `berth registry serve` and the reference registry (`/usr/bin/docker-registry`,
 * the distribution project's, with a config this script writes: filesystem storage in a temp
 * dir, access log off, as Berth's) side by side on 127.0.0.1, seeded with the same multi-layer
 * image. Measures manifest GETs per second and blob GET throughput under concurrent load (wrk),
 * and the time to push and pull the image with skopeo. Then each as a pull-through cache in front
 * of itself (berth → berth, reference → reference): a cold pull through a fresh cache, and
 * manifest and blob GETs once it is warm. Prints a table with the ratio.
 *
 *   node dist/bench/registry-bench.js [--duration 10] [--connections 32] [--runs 5]
 *                                      [--layers 4] [--layer-mb 8] [--no-proxy]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { makeImage, writeOciLayout } from '../test/helpers/registry-fixtures.js';
import { median, sample } from './lib/stats.js';

const pexec = promisify(execFile);
const repo = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    runs: { type: 'string', default: '5' },
    layers: { type: 'string', default: '4' },
    'layer-mb': { type: 'string', default: '8' },
    'no-proxy': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log('usage: node dist/bench/registry-bench.js [--duration S] [--connections N] [--runs N] [--layers N] [--layer-mb N] [--no-proxy]');
  process.exit(0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitUp(url: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${url}/v2/`)).status === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

interface Server {
  name: string;
  url: string;
  host: string;
  child: ChildProcess;
}

/** `upstream`: run as a pull-through cache of that URL. */
async function startBerth(root: string, upstream?: string): Promise<Server> {
  const port = await freePort();
  const proxy = upstream ? ['--proxy-remote-url', upstream] : [];
  const child = spawn(process.execPath, ['--', join(repo, 'dist/src/bin/berth.js'), 'registry', 'serve', '--addr', `127.0.0.1:${port}`, '--root', root, '--access-log=false', '--log-level', 'error', ...proxy], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUp(url);
  return { name: 'berth', url, host: `127.0.0.1:${port}`, child };
}

async function startReference(root: string, work: string, upstream?: string): Promise<Server> {
  const port = await freePort();
  const config = join(work, `reference-config-${port}.yml`);
  writeFileSync(
    config,
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${root}
  cache:
    blobdescriptor: inmemory
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${upstream ? `proxy:\n  remoteurl: ${upstream}\n` : ''}`,
  );
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUp(url);
  return { name: 'reference', url, host: `127.0.0.1:${port}`, child };
}

async function stop(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await gone;
}

async function skopeo(args: string[]): Promise<void> {
  await pexec('skopeo', args, { maxBuffer: 16 * 1024 * 1024 });
}

/**
 * wrk against one URL. Throughput is computed from the completed requests times the body size
 * (wrk's Transfer/sec counts headers too, and a figure is only as true as the bytes behind it);
 * failed responses, socket errors and timeouts fail the measurement instead of skewing it.
 */
async function wrk(url: string, bodyBytes: number, headers: string[] = []): Promise<{ rps: number; bytesPerSec: number }> {
  const args = ['-t2', `-c${opts.connections}`, `-d${opts.duration}s`, '--timeout', '30s', ...headers.flatMap((h) => ['-H', h]), url];
  const { stdout } = await pexec('wrk', args, { maxBuffer: 1024 * 1024 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} failed responses from ${url}`);
  const socketErrors = /Socket errors: (.*)/.exec(stdout);
  if (socketErrors) throw new Error(`wrk saw socket errors on ${url}: ${socketErrors[1]}`);
  if (!Number.isFinite(rps) || rps <= 0) throw new Error(`wrk measured nothing on ${url}:\n${stdout}`);
  return { rps, bytesPerSec: rps * bodyBytes };
}

const work = mkdtempSync(join(tmpdir(), 'berth-regbench-'));
const servers: Server[] = [];
try {
  console.error('making the image…');
  const image = await makeImage({ seed: 'bench', layerCount: Number(opts.layers), layerBytes: Number(opts['layer-mb']) * 1024 * 1024 });
  // The layers hold incompressible bytes, so a gzip layer is as large as asked (a compressible
  // fixture once made the "8 MiB" blob 62 KB, and the figure measured small requests).
  const layerSize = image.layers[0]!.bytes.length;
  if (layerSize < Number(opts['layer-mb']) * 1024 * 1024) throw new Error(`the bench layer is ${layerSize} bytes, less than the ${opts['layer-mb']} MiB asked for`);
  writeOciLayout(join(work, 'img'), image, 'latest');
  servers.push(await startBerth(join(work, 'berth-root')));
  servers.push(await startReference(join(work, 'reference-root'), work));
  const results: Record<string, Record<string, number>> = {};
  const runs = Number(opts.runs);
  for (const s of servers) {
    console.error(`${s.name}: seeding and timing push/pull…`);
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${join(work, 'img')}:latest`, `docker://${s.host}/bench/app:latest`]);
    let n = 0;
    const push = await sample(runs, async () => {
      await skopeo(['copy', '--dest-tls-verify=false', `oci:${join(work, 'img')}:latest`, `docker://${s.host}/bench/push${n++}:latest`]);
    }, 1);
    let m = 0;
    const pull = await sample(runs, async () => {
      const out = join(work, `pull-${s.name}-${m++}`);
      await skopeo(['copy', '--src-tls-verify=false', `docker://${s.host}/bench/app:latest`, `oci:${out}:latest`]);
      rmSync(out, { recursive: true, force: true });
    }, 1);
    console.error(`${s.name}: wrk on a manifest and a blob…`);
    const manifest = await wrk(`${s.url}/v2/bench/app/manifests/latest`, image.manifest.bytes.length, ['Accept: application/vnd.oci.image.manifest.v1+json']);
    const blob = await wrk(`${s.url}/v2/bench/app/blobs/${image.layers[0]!.digest}`, layerSize);
    const small = await wrk(`${s.url}/v2/bench/app/blobs/${image.config.digest}`, image.config.bytes.length);
    results[s.name] = {
      'manifest GET (req/s)': manifest.rps,
      'small blob GET (req/s)': small.rps,
      [`blob GET ${opts['layer-mb']} MiB (MiB/s)`]: blob.bytesPerSec / 1024 ** 2,
      'skopeo push (s, median)': median(push) / 1000,
      'skopeo pull (s, median)': median(pull) / 1000,
    };
    if (opts['no-proxy']) continue;
    // Pull-through: each registry as a cache in front of itself. A fresh cache root per cold pull.
    console.error(`${s.name}: as a pull-through cache…`);
    let k = 0;
    let cache: Server | undefined;
    const startCache = async (): Promise<Server> => {
      const root = join(work, `${s.name}-cache-${k++}`);
      return s.name === 'berth' ? startBerth(root, s.url) : startReference(root, work, s.url);
    };
    const cold: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        if (cache) await stop(cache);
        cache = await startCache();
        const out = join(work, `cold-${s.name}-${i}`);
        const t = process.hrtime.bigint();
        await skopeo(['copy', '--src-tls-verify=false', `docker://${cache.host}/bench/app:latest`, `oci:${out}:latest`]);
        cold.push(Number(process.hrtime.bigint() - t) / 1e6);
        rmSync(out, { recursive: true, force: true });
      }
      const viaManifest = await wrk(`${cache!.url}/v2/bench/app/manifests/latest`, image.manifest.bytes.length, ['Accept: application/vnd.oci.image.manifest.v1+json']);
      const viaBlob = await wrk(`${cache!.url}/v2/bench/app/blobs/${image.layers[0]!.digest}`, layerSize);
      Object.assign(results[s.name]!, {
        'cache: cold skopeo pull (s, median)': median(cold) / 1000,
        'cache: warm manifest GET by tag (req/s)': viaManifest.rps,
        [`cache: warm blob GET ${opts['layer-mb']} MiB (MiB/s)`]: viaBlob.bytesPerSec / 1024 ** 2,
      });
    } finally {
      if (cache) await stop(cache);
    }
  }
  const b = results.berth!;
  const r = results.reference!;
  const rows = Object.keys(b).map((k) => {
    const lowerBetter = k.includes('(s');
    const ratio = lowerBetter ? r[k]! / b[k]! : b[k]! / r[k]!;
    return [k, b[k]!.toFixed(k.includes('(s') ? 3 : 1), r[k]!.toFixed(k.includes('(s') ? 3 : 1), `${ratio.toFixed(2)}x`];
  });
  const header = ['metric', 'berth', 'reference', 'berth advantage'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`image: ${opts.layers} layers of ${opts['layer-mb']} MiB (gzip blob ${layerSize} bytes), config ${image.config.bytes.length} bytes; wrk -t2 -c${opts.connections} -d${opts.duration}s; ${runs} skopeo runs each`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log('(advantage > 1 means berth is faster: higher rate, or shorter time)');
  if (!opts['no-proxy']) {
    console.log("(cache rows: each registry as a pull-through cache of itself; berth serves a cached tag for its ttl (5m), the reference asks upstream with a HEAD on every tag request)");
  }
} finally {
  for (const s of servers) s.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
