/**
 * The processes the benchmarks start and compare: a private berthd, the reference registry
 * (Debian's docker-registry) configured like Berth's, and the clients' paths. One place, so every
 * benchmark starts its peers the same way.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EngineApi } from './engine-api.js';

const pexec = promisify(execFile);

export const repoRoot = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

export const dockerCli = process.env.DOCKER_CLI ?? (existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Waits until `GET <url>/v2/` answers 200. */
export async function waitRegistryUp(url: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
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

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

export interface PrivateBerthd {
  readonly host: string;
  stop(): Promise<void>;
}

/** A berthd of its own under `parent` (data, exec root, socket), removed with its mounts on stop. */
export async function startPrivateBerthd(parent = '/var/tmp'): Promise<PrivateBerthd> {
  const dir = mkdtempSync(join(parent, 'berth-bench-'));
  const host = `unix://${dir}/berth.sock`;
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist/src/bin/berthd.js'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'pid'), '--config-file=', '-H', host, '--log-level', 'warn'],
    { stdio: 'ignore' },
  );
  const api = new EngineApi(`${dir}/berth.sock`);
  for (let i = 0; ; i++) {
    try {
      if ((await api.call('GET', '/_ping')).status === 200) break;
    } catch {
      if (i > 400) throw new Error('berthd did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    stop: async () => {
      await stopChild(child);
      await pexec('sh', ['-c', `grep -o ' ${dir}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ReferenceRegistry {
  readonly url: string;
  readonly host: string;
  readonly child: ChildProcess;
}

/**
 * The reference registry on 127.0.0.1 with filesystem storage in `root`, its access log off and
 * its in-memory blob-descriptor cache on (as Berth keeps its own in memory); `upstream` makes it
 * a pull-through cache. The config file goes to `configDir`.
 */
export async function startReferenceRegistry(opts: { root: string; configDir: string; upstream?: string }): Promise<ReferenceRegistry> {
  const port = await freePort();
  const config = join(opts.configDir, `reference-config-${port}.yml`);
  writeFileSync(
    config,
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${opts.root}
  cache:
    blobdescriptor: inmemory
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${opts.upstream ? `proxy:\n  remoteurl: ${opts.upstream}\n` : ''}`,
  );
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitRegistryUp(url);
  return { url, host: `127.0.0.1:${port}`, child };
}
