/**
 * Container speed: `run --rm busybox true` (default network and --network none), 50 containers
 * started in a burst, and exec latency — for berthd and, given a Docker socket, for Docker side
 * by side with the same client and the same image. Prints medians and the ratio.
 *
 *   node dist/bench/container-bench.js [--runs 20] [--burst 50] [--berth-host unix:///…]
 *                                       [--docker-host unix:///var/run/docker.sock]
 *
 * Without --berth-host a private berthd is started under /var/tmp and removed afterwards.
 * Both engines get busybox:latest from the host's static busybox through `berth image bootstrap`
 * (Berth's CLI speaks the Engine API, so it makes the same image in Docker).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { EngineApi } from './lib/engine-api.js';
import { median, percentile, sample, timeOnce } from './lib/stats.js';
import { dockerCli, repoRoot as repo, startPrivateBerthd } from './lib/processes.js';

const pexec = promisify(execFile);
const berthCli = join(repo, 'dist/src/bin/berth.js');

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    burst: { type: 'string', default: '50' },
    'berth-host': { type: 'string' },
    'docker-host': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log('usage: node dist/bench/container-bench.js [--runs N] [--burst N] [--berth-host unix:///PATH] [--docker-host unix:///PATH]');
  process.exit(0);
}
const runs = Number(opts.runs);
const burst = Number(opts.burst);

interface Engine {
  name: string;
  host: string;
  api: EngineApi;
}

function socketOf(host: string): string {
  if (!host.startsWith('unix://')) throw new Error(`only unix:// hosts are supported, got ${host}`);
  return host.slice('unix://'.length);
}

async function ensureBusybox(e: Engine): Promise<void> {
  if ((await e.api.call('GET', '/images/busybox:latest/json')).status === 200) return;
  await pexec(process.execPath, [berthCli, '-H', e.host, 'image', 'bootstrap', 'busybox']);
}

async function cli(file: string, args: string[]): Promise<void> {
  await pexec(file, args, { maxBuffer: 1 << 20 });
}

interface Row {
  what: string;
  values: Map<string, number>;
}

async function measure(e: Engine, rows: Row[]): Promise<void> {
  const put = (what: string, v: number) => {
    let row = rows.find((r) => r.what === what);
    if (!row) rows.push((row = { what, values: new Map() }));
    row.values.set(e.name, v);
  };
  const log = (what: string, samples: number[]) =>
    console.error(`  ${e.name.padEnd(6)} ${what}: median ${median(samples).toFixed(1)} ms, p90 ${percentile(samples, 90).toFixed(1)} ms (n=${samples.length})`);

  const dockerRun = await sample(runs, () => cli(dockerCli, ['-H', e.host, 'run', '--rm', 'busybox', 'true']));
  log('docker run --rm busybox true', dockerRun);
  put('docker CLI: run --rm busybox true', median(dockerRun));

  const dockerRunNone = await sample(runs, () => cli(dockerCli, ['-H', e.host, 'run', '--rm', '--network', 'none', 'busybox', 'true']));
  log('docker run --rm --network none busybox true', dockerRunNone);
  put('docker CLI: run --rm --network none', median(dockerRunNone));

  const berthRun = await sample(runs, () => cli(process.execPath, [berthCli, '-H', e.host, 'run', '--rm', '--network', 'none', 'busybox', 'true']));
  log('berth run --rm --network none busybox true', berthRun);
  put('berth CLI: run --rm --network none', median(berthRun));

  const apiRun = await sample(runs, async () => {
    await e.api.runToExit({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  });
  log('API create+start+wait+rm (none)', apiRun);
  put('API: create+start+wait+rm', median(apiRun));

  const ids: string[] = [];
  const burstMs = await timeOnce(async () => {
    await Promise.all(
      Array.from({ length: burst }, async () => {
        const id = await e.api.create({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
        ids.push(id);
        await e.api.ok('POST', `/containers/${id}/start`);
      }),
    );
  });
  console.error(`  ${e.name.padEnd(6)} ${burst} containers created+started concurrently: ${burstMs.toFixed(0)} ms`);
  put(`burst: ${burst} containers started (total)`, burstMs);
  const rmMs = await timeOnce(async () => {
    await Promise.all(ids.map((id) => e.api.ok('DELETE', `/containers/${id}?force=1`)));
  });
  put(`burst: ${burst} containers rm -f (total)`, rmMs);

  const target = await e.api.create({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
  await e.api.ok('POST', `/containers/${target}/start`);
  try {
    const execApi = await sample(runs, () => e.api.execToExit(target, ['true']));
    log('API exec true', execApi);
    put('API: exec true', median(execApi));
    const execCli = await sample(runs, () => cli(dockerCli, ['-H', e.host, 'exec', target, 'true']));
    log('docker exec true', execCli);
    put('docker CLI: exec true', median(execCli));
  } finally {
    await e.api.ok('DELETE', `/containers/${target}?force=1`);
  }
}

async function main(): Promise<void> {
  const engines: Engine[] = [];
  let stopBerth: (() => Promise<void>) | undefined;
  let berthHost = opts['berth-host'];
  if (!berthHost) {
    const started = await startPrivateBerthd();
    berthHost = started.host;
    stopBerth = started.stop;
  }
  engines.push({ name: 'berth', host: berthHost, api: new EngineApi(socketOf(berthHost)) });
  const dockerHost = opts['docker-host'] ?? process.env.DOCKER_BENCH_HOST;
  if (dockerHost) engines.push({ name: 'docker', host: dockerHost, api: new EngineApi(socketOf(dockerHost)) });

  const rows: Row[] = [];
  try {
    for (const e of engines) {
      await ensureBusybox(e);
      console.error(`${e.name} (${e.host}):`);
      await measure(e, rows);
    }
  } finally {
    await stopBerth?.();
  }

  const names = engines.map((e) => e.name);
  const header = ['measure (median ms)', ...names, ...(names.length > 1 ? ['berth/docker'] : [])];
  const table = rows.map((r) => {
    const cells = names.map((n) => (r.values.has(n) ? r.values.get(n)!.toFixed(1) : '-'));
    if (names.length > 1) {
      const b = r.values.get('berth');
      const d = r.values.get('docker');
      cells.push(b !== undefined && d !== undefined ? (b / d).toFixed(2) : '-');
    }
    return [r.what, ...cells];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  console.log(line(header));
  for (const row of table) console.log(line(row));
  if (names.length === 1) console.log('\n(no --docker-host given: Docker was not measured)');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
