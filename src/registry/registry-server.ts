/**
 * A running registry: storage opened and repaired, auth loaded (htpasswd, token key, TLS files),
 * the pull-through cache when an upstream is configured, the HTTP(S) listener, and the timers for
 * garbage collection and upload purging.
 */
import { readFileSync, existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import type { Logger } from '../util/log.js';
import { Htpasswd, parseHtpasswd, RegistryAuth, TokenIssuer, TokenKey } from './auth/index.js';
import type { RegistryConfig } from './config.js';
import { createDispatcher } from './http/dispatch.js';
import { RegistryMetrics } from './metrics.js';
import { PullThroughCache, Upstream } from './proxy/index.js';
import { RegistryStorage, type GcStats } from './storage/index.js';

export interface RunningRegistry {
  /** `http://127.0.0.1:5000` or `https://…`, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  readonly storage: RegistryStorage;
  readonly metrics: RegistryMetrics;
  /** In pull-through mode, the cache. */
  readonly proxy?: PullThroughCache;
  /** Runs a garbage collection now (as the timer does). */
  collectGarbage(): Promise<GcStats>;
  close(): Promise<void>;
}

function readConfigFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`Cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The proxy's upstream password: given, or the first line of its file. */
function proxyPassword(config: RegistryConfig): string | undefined {
  const p = config.proxy;
  if (!p) return undefined;
  if (p.password !== undefined) return p.password;
  if (p.passwordFile === undefined) return undefined;
  return readConfigFile(p.passwordFile, 'proxy password file').toString('utf8').replace(/\r?\n$/, '');
}

function loadTokenKey(config: RegistryConfig, storage: RegistryStorage, logger: Logger): TokenKey {
  if (config.auth.kind === 'token' && config.auth.signingKey) return TokenKey.fromPem(readConfigFile(config.auth.signingKey, 'token signing key'));
  const path = storage.paths.tokenKey;
  if (existsSync(path)) return TokenKey.fromPem(readFileSync(path));
  const key = TokenKey.generate();
  writeFileAtomicSync(path, key.toPem(), 0o600);
  logger.info('made a token signing key', { path });
  return key;
}

export async function startRegistryServer(config: RegistryConfig, logger: Logger): Promise<RunningRegistry> {
  const htpasswd =
    config.auth.kind === 'none'
      ? undefined
      : new Htpasswd(parseHtpasswd(readConfigFile(config.auth.kind === 'token' ? config.auth.htpasswd : config.auth.path, 'htpasswd file').toString('utf8')));
  const tls = config.tls ? { cert: readConfigFile(config.tls.cert, 'TLS certificate'), key: readConfigFile(config.tls.key, 'TLS key') } : undefined;
  const upstreamPassword = proxyPassword(config);
  const storage = await RegistryStorage.open({ root: config.root, logger });
  const metrics = new RegistryMetrics();
  const upstream = config.proxy
    ? new Upstream({
        remoteUrl: config.proxy.remoteUrl,
        ...(config.proxy.username !== undefined ? { username: config.proxy.username } : {}),
        ...(upstreamPassword !== undefined ? { password: upstreamPassword } : {}),
        logger,
      })
    : undefined;
  const proxy = upstream
    ? new PullThroughCache({ storage, upstream, tagTtlMs: config.proxy!.tagTtlMs, metrics, logger })
    : undefined;
  let server: Server;
  const timers: NodeJS.Timeout[] = [];
  try {
    const tokenKey = config.auth.kind === 'token' ? loadTokenKey(config, storage, logger) : undefined;
    const auth = new RegistryAuth({ config: config.auth, ...(htpasswd ? { htpasswd } : {}), ...(tokenKey ? { tokenKey } : {}) });
    const tokenIssuer =
      config.auth.kind === 'token'
        ? new TokenIssuer({
            issuer: config.auth.issuer,
            service: config.auth.service,
            key: tokenKey!,
            htpasswd: htpasswd!,
            expirationSeconds: config.auth.expirationSeconds,
            rules: config.auth.access,
          })
        : undefined;
    const handler = createDispatcher({ storage, config, auth, ...(tokenIssuer ? { tokenIssuer } : {}), ...(proxy ? { proxy } : {}), metrics, logger, secure: tls !== undefined });
    // No overall request timeout: a large blob upload may take longer than any fixed limit.
    const opts = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 30_000 };
    server = tls ? createHttpsServer({ ...opts, cert: tls.cert, key: tls.key }, handler) : createHttpServer(opts, handler);
    const colon = config.addr.lastIndexOf(':');
    const host = config.addr.slice(0, colon).replace(/^\[|\]$/g, '') || '0.0.0.0';
    const port = Number(config.addr.slice(colon + 1));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    upstream?.close();
    storage.close();
    throw err;
  }
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${bound.port}`;

  const collect = async (): Promise<GcStats> => {
    const stats = await storage.collectGarbage(config.gcGraceMs);
    metrics.gcDone(stats);
    return stats;
  };
  const purge = async (): Promise<void> => {
    const n = await storage.purgeUploads(config.uploadExpiryMs);
    metrics.uploadsPurgedAdd(n);
    if (n > 0) logger.info('purged abandoned uploads', { count: n });
  };
  if (!config.readOnly) {
    await purge().catch((err) => logger.warn('upload purge failed', { error: err as Error }));
    if (config.uploadPurgeIntervalMs > 0) timers.push(setInterval(() => void purge().catch((err) => logger.warn('upload purge failed', { error: err as Error })), config.uploadPurgeIntervalMs));
    if (config.gcIntervalMs > 0) timers.push(setInterval(() => void collect().catch((err) => logger.error('gc failed', { error: err as Error })), config.gcIntervalMs));
  }
  for (const t of timers) t.unref();
  logger.info('registry listening', {
    url,
    root: config.root,
    auth: config.auth.kind,
    readOnly: config.readOnly,
    deleteEnabled: config.deleteEnabled,
    ...(config.proxy ? { proxy: config.proxy.remoteUrl, proxyTagTtlMs: config.proxy.tagTtlMs } : {}),
  });

  return {
    url,
    port: bound.port,
    storage,
    metrics,
    ...(proxy ? { proxy } : {}),
    collectGarbage: () => {
      if (config.readOnly) return Promise.reject(new Error('Cannot collect garbage: the registry is in read-only mode'));
      return collect();
    },
    close: async () => {
      for (const t of timers) clearInterval(t);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
        // Downloads still running are aborted (nothing half-fetched is stored).
        void proxy?.close();
      });
      await proxy?.close();
      upstream?.close();
      storage.close();
    },
  };
}
