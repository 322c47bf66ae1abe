/**
 * Starts a real berthd for a test: its own data root, exec root and socket under a temp
 * directory, so tests never touch the machine's daemon. Gives helpers to call the API, the
 * `berth` CLI and the docker CLI against it, and cleans up every container, mount and directory.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

export const dockerCli = process.env.DOCKER_CLI ?? (existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker');

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function apiRequest(socketPath: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: {
          ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          const text = buf.toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function run(file: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      file,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

export class TestDaemon {
  private child: ChildProcess | null = null;
  private logs = '';

  private constructor(
    readonly dir: string,
    readonly dataRoot: string,
    readonly execRoot: string,
    readonly socket: string,
  ) {}

  static async start(): Promise<TestDaemon> {
    const dir = mkdtempSync('/var/tmp/berth-test-');
    const d = new TestDaemon(dir, join(dir, 'data'), join(dir, 'exec'), join(dir, 'berth.sock'));
    await d.spawn();
    return d;
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  private async spawn(): Promise<void> {
    const args = [
      join(repoRoot, 'dist/src/bin/berthd.js'),
      '--data-root', this.dataRoot,
      '--exec-root', this.execRoot,
      '--pidfile', join(this.dir, 'berthd.pid'),
      '--config-file=',
      '-H', this.host,
      '--log-level', process.env.BERTH_TEST_LOG_LEVEL ?? 'info',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.logs += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.logs += d.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`berthd exited early (${child.exitCode}):\n${this.logs}`);
      try {
        const r = await apiRequest(this.socket, 'GET', '/_ping');
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not come up:\n${this.logs}`);
  }

  get log(): string {
    return this.logs;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Kills the daemon with SIGKILL, as a crash would. */
  async kill9(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }

  async restart(): Promise<void> {
    await this.spawn();
  }

  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    return apiRequest(this.socket, method, path, body, headers);
  }

  /** Runs the docker CLI against this daemon. */
  docker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(dockerCli, ['-H', this.host, ...args], { ...opts, env: { ...process.env, DOCKER_CONFIG: join(this.dir, 'docker-config') } });
  }

  /** Runs the berth CLI against this daemon. */
  berth(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(process.execPath, [join(repoRoot, 'dist/src/bin/berth.js'), '-H', this.host, ...args], opts);
  }

  /** Makes busybox:latest from the host's static busybox through the CLI. */
  async bootstrapBusybox(): Promise<void> {
    const r = await this.berth(['image', 'bootstrap', 'busybox']);
    if (r.code !== 0) throw new Error(`bootstrap failed: ${r.stderr}${r.stdout}`);
  }

  /** Creates a container through the API and returns its id. */
  async create(body: Record<string, unknown>, name?: string): Promise<string> {
    const r = await this.api('POST', `/containers/create${name ? `?name=${encodeURIComponent(name)}` : ''}`, { Image: 'busybox', ...body });
    if (r.status !== 201) throw new Error(`create failed ${r.status}: ${r.text}`);
    return r.json.Id as string;
  }

  async inspect(id: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await this.api('GET', `/containers/${id}/json`);
    if (r.status !== 200) throw new Error(`inspect failed ${r.status}: ${r.text}`);
    return r.json;
  }

  /** Polls until `check` passes or the time is up. */
  async until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- daemon log ---\n${this.logs.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Removes every container, stops the daemon and deletes its directories. */
  async cleanup(): Promise<void> {
    try {
      if (this.child && this.child.exitCode === null) {
        const list = await this.api('GET', '/containers/json?all=1');
        for (const c of (list.json ?? []) as Array<{ Id: string }>) {
          await this.api('DELETE', `/containers/${c.Id}?force=1`);
        }
      }
    } finally {
      await this.stop();
      // Anything the daemon failed to remove: stop it so no container outlives the test.
      const runcRoot = join(this.execRoot, 'runc');
      const listed = await run('runc', ['--root', runcRoot, 'list', '-q']);
      for (const id of listed.stdout.split('\n').filter(Boolean)) await run('runc', ['--root', runcRoot, 'delete', '-f', id]);
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((m): m is string => !!m && m.startsWith(this.dir))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) await run('umount', ['-l', m]);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

export function resolveRepoPath(...parts: string[]): string {
  return resolve(repoRoot, ...parts);
}
