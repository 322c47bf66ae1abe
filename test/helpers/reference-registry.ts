/**
 * Runs the reference registry (Debian's docker-registry, the distribution project's server) for a
 * test: filesystem storage in a temp directory, 127.0.0.1 on a free port, optionally TLS,
 * htpasswd (bcrypt, made with bcryptjs) or token auth. Waits until it answers and stops it after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';

export const registryBinary = process.env.BERTH_REGISTRY_BINARY ?? '/usr/bin/docker-registry';

export interface ReferenceRegistryOptions {
  /** A directory the registry may use (storage, config, htpasswd). */
  dir: string;
  /** `clientCas`: the registry then requires client certificates signed by one of them. */
  tls?: { certPath: string; keyPath: string; clientCas?: string[] };
  htpasswd?: Record<string, string>;
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Run as a pull-through cache of `remoteurl` (the reference's `proxy:` section). */
  proxy?: { remoteurl: string; username?: string; password?: string };
}

export interface ReferenceRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  /** Everything the registry printed (for failure messages). */
  output(): string;
  /** Requests in the access log with this method and path prefix. */
  countRequests(method: string, pathPrefix: string): number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The registry listens once its port accepts connections (a TLS probe would fail with mTLS). */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

export async function startReferenceRegistry(opts: ReferenceRegistryOptions): Promise<ReferenceRegistry> {
  const storage = join(opts.dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const port = await freePort();
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: false } },
    storage: { filesystem: { rootdirectory: storage }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
    http: { addr: `127.0.0.1:${port}`, secret: 'berth-test-secret', ...(opts.tls ? { tls: { certificate: opts.tls.certPath, key: opts.tls.keyPath, ...(opts.tls.clientCas ? { clientcas: opts.tls.clientCas } : {}) } } : {}) },
  };
  if (opts.htpasswd) {
    const path = join(opts.dir, 'htpasswd');
    writeFileSync(path, Object.entries(opts.htpasswd).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 5)}`).join('\n') + '\n');
    config.auth = { htpasswd: { realm: 'Berth Test Registry', path } };
  } else if (opts.token) {
    config.auth = { token: { realm: opts.token.realm, service: opts.token.service, issuer: opts.token.issuer, rootcertbundle: opts.token.rootCertBundle } };
  }
  if (opts.proxy) config.proxy = opts.proxy;
  const configPath = join(opts.dir, 'config.yml');
  writeFileSync(configPath, stringify(config));
  let output = '';
  const child: ChildProcess = spawn(registryBinary, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  while (!(await probe(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`reference registry did not start on port ${port}:\n${output}`);
    }
    await sleep(50);
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    output: () => output,
    countRequests: (method, pathPrefix) => output.split('\n').filter((l) => l.includes(`"${method} ${pathPrefix}`)).length,
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}
