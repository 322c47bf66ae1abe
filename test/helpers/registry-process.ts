/**
 * Starts `berth registry serve` as a real child process on 127.0.0.1 with a free port (it binds
 * port 0 and prints the URL), with its own root under a temp directory. Gives the URL, the pid for
 * signals (SIGUSR1: collect garbage; SIGKILL: crash it), its log lines, and a clean stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './test-daemon.js';

export interface RegistryProcess {
  readonly url: string;
  /** host:port, as skopeo and docker name the registry. */
  readonly host: string;
  readonly root: string;
  readonly child: ChildProcess;
  readonly logs: () => string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startRegistry(opts: { root?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RegistryProcess> {
  const root = opts.root ?? makeTempDir('berth-registry-');
  const child = spawn(process.execPath, ['--', join(repoRoot, 'dist/src/bin/berth.js'), 'registry', 'serve', '--addr', '127.0.0.1:0', '--root', root, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start in 20s: ${err}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited with ${code} before listening: ${err}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    url,
    host: url.replace(/^https?:\/\//, ''),
    root,
    child,
    logs: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program (skopeo, openssl) to completion, with a timeout. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A fetch against the registry with a body as Buffer and the JSON parsed when there is one. */
export async function call(url: string, init: RequestInit & { body?: Buffer | string } = {}): Promise<{ status: number; headers: Headers; body: Buffer; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await fetch(url, init as RequestInit);
  const body = Buffer.from(await r.arrayBuffer());
  let json: unknown;
  try {
    json = body.length ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, body, json };
}
