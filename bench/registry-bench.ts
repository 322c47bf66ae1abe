/**
 * Registry speed: `berth registry serve` and the reference registry (`/usr/bin/docker-registry`,
 * the distribution project's, with a config this script writes: filesystem storage in a temp
 * dir, access log off, as Berth's) side by side on 127.0.0.1, seeded with the same multi-layer
 * image. Measures manifest GETs per second and blob GET throughput under concurrent load (wrk),
 * and the time to push and pull the image with skopeo. Then each as a pull-through cache in front
 * of itself (berth → berth, reference → reference), each started once with an empty root: cold
 * pulls of images it has not seen (the first right after its start, reported apart: Node's JIT is
 * cold then), and manifest and blob GETs once it is warm. Prints a table with the ratio.
 *
 *   node dist/bench/registry-bench.js [--duration 10] [--connections 32] [--rounds 3] [--runs 5]
 *                                      [--layers 4] [--layer-mb 8] [--no-proxy]
 *
 * Other work on the machine skews whichever registry runs while it happens, so every figure is
 * taken in alternating rounds (berth, reference, berth, …) and the median reported, with the load
 * average. Pushes upload a fresh image each time (skopeo would mount blobs it has seen).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { makeImage, writeOciLayout } from '../test/helpers/registry-fixtures.js';
import { median } from './lib/stats.js';
import { freePort, repoRoot as repo, startReferenceRegistry, waitRegistryUp } from './lib/processes.js';

const pexec = promisify(execFile);

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    runs: { type: 'string', default: '5' },
    layers: { type: 'string', default: '4' },
    'layer-mb': { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    'no-proxy': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log('usage: node dist/bench/registry-bench.js [--duration S] [--connections N] [--rounds N] [--runs N] [--layers N] [--layer-mb N] [--no-proxy]');
  process.exit(0);
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
  await waitRegistryUp(url);
  return { name: 'berth', url, host: `127.0.0.1:${port}`, child };
}

async function startReference(root: string, work: string, upstream?: string): Promise<Server> {
  const r = await startReferenceRegistry({ root, configDir: work, ...(upstream ? { upstream } : {}) });
  return { name: 'reference', ...r };
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
const caches: Server[] = [];

/** Runs `fn` for each server in turn, `rounds` times (berth, reference, berth, …): load from elsewhere hits both alike. */
async function alternate<T>(rounds: number, list: Server[], fn: (s: Server, round: number) => Promise<T>): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(list.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) for (const s of list) out.get(s.name)!.push(await fn(s, r));
  return out;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

try {
  const runs = Number(opts.runs);
  const rounds = Number(opts.rounds);
  const mib = Number(opts['layer-mb']);
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadBefore = load();
  console.error('making the images…');
  const image = await makeImage({ seed: 'bench', layerCount: Number(opts.layers), layerBytes: mib * 1024 * 1024 });
  // The layers hold incompressible bytes, so a gzip layer is as large as asked (a compressible
  // fixture once made the "8 MiB" blob 62 KB, and the figure measured small requests).
  const layerSize = image.layers[0]!.bytes.length;
  if (layerSize < mib * 1024 * 1024) throw new Error(`the bench layer is ${layerSize} bytes, less than the ${mib} MiB asked for`);
  writeOciLayout(join(work, 'img'), image, 'latest');
  // A fresh image per push: skopeo remembers where blobs live and would mount instead of uploading.
  const pushImages: string[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const dir = join(work, `push-img-${i}`);
    writeOciLayout(dir, await makeImage({ seed: `bench-push-${i}`, layerCount: Number(opts.layers), layerBytes: mib * 1024 * 1024 }), 'latest');
    pushImages.push(dir);
  }
  servers.push(await startBerth(join(work, 'berth-root')));
  servers.push(await startReference(join(work, 'reference-root'), work));
  for (const s of servers) await skopeo(['copy', '--dest-tls-verify=false', `oci:${join(work, 'img')}:latest`, `docker://${s.host}/bench/app:latest`]);

  const results: Record<string, Record<string, number>> = { berth: {}, reference: {} };
  const record = (metric: string, values: Map<string, number[]>) => {
    for (const [name, v] of values) results[name]![metric] = median(v);
  };

  console.error('skopeo push and pull, alternating…');
  const push = await alternate(runs + 1, servers, (s, i) =>
    timed(() => skopeo(['copy', '--dest-tls-verify=false', `oci:${pushImages[i]!}:latest`, `docker://${s.host}/bench/push${i}:latest`])),
  );
  record('skopeo push (s, median)', new Map([...push].map(([k, v]) => [k, v.slice(1).map((ms) => ms / 1000)]))); // the first is warm-up
  const pull = await alternate(runs + 1, servers, async (s, i) => {
    const out = join(work, `pull-${s.name}-${i}`);
    const ms = await timed(() => skopeo(['copy', '--src-tls-verify=false', `docker://${s.host}/bench/app:latest`, `oci:${out}:latest`]));
    rmSync(out, { recursive: true, force: true });
    return ms;
  });
  record('skopeo pull (s, median)', new Map([...pull].map(([k, v]) => [k, v.slice(1).map((ms) => ms / 1000)])));

  console.error('wrk on a manifest and blobs, alternating…');
  const accept = ['Accept: application/vnd.oci.image.manifest.v1+json'];
  record('manifest GET (req/s)', await alternate(rounds, servers, async (s) => (await wrk(`${s.url}/v2/bench/app/manifests/latest`, image.manifest.bytes.length, accept)).rps));
  record('small blob GET (req/s)', await alternate(rounds, servers, async (s) => (await wrk(`${s.url}/v2/bench/app/blobs/${image.config.digest}`, image.config.bytes.length)).rps));
  record(`blob GET ${mib} MiB (MiB/s)`, await alternate(rounds, servers, async (s) => (await wrk(`${s.url}/v2/bench/app/blobs/${image.layers[0]!.digest}`, layerSize)).bytesPerSec / 1024 ** 2));

  if (!opts['no-proxy']) {
    // Pull-through: each registry as a cache in front of itself, started once with an empty root
    // (a cache runs for long; what is cold is the content). Each pull takes an image the cache has
    // not seen (the push images): the first one right after the start, the others with it running.
    console.error('pull-through caches: cold pulls, then warm GETs, alternating…');
    const current = new Map<string, Server>();
    for (const s of servers) {
      const c = s.name === 'berth' ? await startBerth(join(work, 'berth-cache'), s.url) : await startReference(join(work, 'reference-cache'), work, s.url);
      caches.push(c);
      current.set(s.name, c);
    }
    const pullThrough = (c: Server, repository: string, out: string) =>
      timed(() => skopeo(['copy', '--src-tls-verify=false', `docker://${c.host}/${repository}:latest`, `oci:${out}:latest`])).finally(() => rmSync(out, { recursive: true, force: true }));
    const cold = await alternate(runs + 1, servers, async (s, i) => (await pullThrough(current.get(s.name)!, `bench/push${i}`, join(work, `cold-${s.name}-${i}`))) / 1000);
    record('cache: first cold pull after start (s)', new Map([...cold].map(([k, v]) => [k, [v[0]!]])));
    record('cache: cold skopeo pull (s, median)', new Map([...cold].map(([k, v]) => [k, v.slice(1)])));
    for (const s of servers) await pullThrough(current.get(s.name)!, 'bench/app', join(work, `warm-up-${s.name}`));
    const warm = servers.map((s) => ({ ...current.get(s.name)!, name: s.name }));
    record('cache: warm manifest GET by tag (req/s)', await alternate(rounds, warm, async (c) => (await wrk(`${c.url}/v2/bench/app/manifests/latest`, image.manifest.bytes.length, accept)).rps));
    record(`cache: warm blob GET ${mib} MiB (MiB/s)`, await alternate(rounds, warm, async (c) => (await wrk(`${c.url}/v2/bench/app/blobs/${image.layers[0]!.digest}`, layerSize)).bytesPerSec / 1024 ** 2));
  }

  const b = results.berth!;
  const r = results.reference!;
  const rows = Object.keys(b).map((key) => {
    const lowerBetter = key.includes('(s');
    const ratio = lowerBetter ? r[key]! / b[key]! : b[key]! / r[key]!;
    return [key, b[key]!.toFixed(lowerBetter ? 3 : 1), r[key]!.toFixed(lowerBetter ? 3 : 1), `${ratio.toFixed(2)}x`];
  });
  const header = ['metric', 'berth', 'reference', 'berth advantage'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`image: ${opts.layers} layers of ${mib} MiB (gzip blob ${layerSize} bytes), config ${image.config.bytes.length} bytes; wrk -t2 -c${opts.connections} -d${opts.duration}s, ${rounds} alternating rounds each (median); ${runs} skopeo runs each (median, after one warm-up; every push a fresh image)`);
  console.log(`load average before: ${loadBefore}; after: ${load()} (${cpus().length} CPUs)`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log('(advantage > 1 means berth is faster: higher rate, or shorter time)');
  if (!opts['no-proxy']) {
    console.log('(cache rows: each registry as a pull-through cache of itself; berth serves a cached tag for its ttl (5m), the reference asks upstream with a HEAD on every tag request)');
  }
} finally {
  await Promise.all([...caches, ...servers].map((s) => stop(s)));
  rmSync(work, { recursive: true, force: true });
}
