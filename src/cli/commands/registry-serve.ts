/**
 * `berth registry serve`: runs the OCI distribution registry in this process until SIGINT or
 * SIGTERM. SIGUSR1 runs a garbage collection now. Flags win over the config file, the file over
 * the defaults; the names follow the reference registry's config keys.
 */
import { readFile } from 'node:fs/promises';
import type { CommandImpl } from '../command.js';
import { StatusError, writeOut } from '../context.js';
import type { ParsedFlags } from '../flags/flag-set.js';

const str = (f: ParsedFlags, name: string): string | undefined => (f.changed(name) ? f.string(name) : undefined);
const bool = (f: ParsedFlags, name: string): boolean | undefined => (f.changed(name) ? f.bool(name) : undefined);

export const registryServeCommand: CommandImpl = {
  flags: [
    { name: 'config', kind: 'string', usage: 'YAML config file (the reference registry\'s layout: log, storage, http, auth, proxy)' },
    { name: 'addr', kind: 'string', usage: 'Address to listen on, HOST:PORT (port 0 picks a free one) (default "127.0.0.1:5000")' },
    { name: 'root', kind: 'string', usage: 'Storage root directory (default "/var/lib/berth-registry")' },
    { name: 'tls-cert', kind: 'string', usage: 'TLS certificate file (PEM); serve HTTPS with --tls-key' },
    { name: 'tls-key', kind: 'string', usage: 'TLS private key file (PEM)' },
    { name: 'htpasswd', kind: 'string', usage: 'htpasswd file of bcrypt users: basic auth, or the token issuer\'s users' },
    { name: 'htpasswd-realm', kind: 'string', usage: 'Realm of the basic auth challenge (default "berth-registry")' },
    { name: 'token-issuer', kind: 'string', usage: 'Issue and require bearer tokens (built-in /token endpoint) under this issuer name' },
    { name: 'token-service', kind: 'string', usage: 'Service name tokens are issued for (default "berth-registry")' },
    { name: 'token-realm', kind: 'string', usage: 'Token endpoint URL put in challenges (default: this server\'s /token)' },
    { name: 'token-key', kind: 'string', usage: 'EC P-256 private key (PEM) that signs tokens (default: made and kept under the root)' },
    { name: 'token-expiration', kind: 'string', usage: 'Lifetime of issued tokens (default "5m")' },
    { name: 'read-only', kind: 'bool', usage: 'Refuse every write (405 UNSUPPORTED); no garbage collection or upload purging' },
    { name: 'delete-enabled', kind: 'bool', usage: 'Allow DELETE of manifests, tags and blobs (otherwise 405 UNSUPPORTED)' },
    { name: 'upload-expiry', kind: 'string', usage: 'Remove uploads idle this long (default "168h")' },
    { name: 'upload-purge-interval', kind: 'string', usage: 'How often to look for expired uploads (default "1h")' },
    { name: 'gc-interval', kind: 'string', usage: 'Collect unreferenced blobs this often while serving; 0 disables (default "0")' },
    { name: 'gc-grace', kind: 'string', usage: 'Never collect blobs written, mounted or asked about within this time (default "1h")' },
    { name: 'proxy-remote-url', kind: 'string', usage: 'Be a pull-through cache of this registry (http(s)://host[:port]): misses are fetched, verified and kept; pushes and deletes get 405 UNSUPPORTED' },
    { name: 'proxy-username', kind: 'string', usage: 'User the cache authenticates to the upstream registry as' },
    { name: 'proxy-password-file', kind: 'string', usage: 'File holding the upstream password of --proxy-username (its first line)' },
    { name: 'proxy-ttl', kind: 'string', usage: 'Serve a cached tag this long before asking upstream again (HEAD); 0 asks every time (default "5m")' },
    { name: 'log-level', kind: 'string', usage: 'debug, info, warn or error (default "info")' },
    { name: 'access-log', kind: 'bool', usage: 'Log one structured line per request (default true)', default: true, defaultText: '' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    const reg = await import('../../registry/index.js');
    const { Logger } = await import('../../util/log.js');
    let config;
    try {
      const file = f.changed('config') ? reg.configFromYaml(await readFile(f.string('config'), 'utf8'), f.string('config')) : {};
      config = reg.resolveConfig(file, {
        addr: str(f, 'addr'),
        root: str(f, 'root'),
        tlsCert: str(f, 'tls-cert'),
        tlsKey: str(f, 'tls-key'),
        htpasswd: str(f, 'htpasswd'),
        htpasswdRealm: str(f, 'htpasswd-realm'),
        tokenIssuer: str(f, 'token-issuer'),
        tokenService: str(f, 'token-service'),
        tokenRealm: str(f, 'token-realm'),
        tokenKey: str(f, 'token-key'),
        tokenExpiration: str(f, 'token-expiration'),
        readOnly: bool(f, 'read-only'),
        deleteEnabled: bool(f, 'delete-enabled'),
        uploadExpiry: str(f, 'upload-expiry'),
        uploadPurgeInterval: str(f, 'upload-purge-interval'),
        gcInterval: str(f, 'gc-interval'),
        gcGrace: str(f, 'gc-grace'),
        logLevel: str(f, 'log-level'),
        accessLog: bool(f, 'access-log'),
        proxyRemoteUrl: str(f, 'proxy-remote-url'),
        proxyUsername: str(f, 'proxy-username'),
        proxyPasswordFile: str(f, 'proxy-password-file'),
        proxyTtl: str(f, 'proxy-ttl'),
      });
    } catch (err) {
      throw new StatusError(1, `berth registry serve: ${(err as Error).message}`);
    }
    const logger = Logger.create({ level: config.logLevel, sink: { write: (line) => void ctx.stderr.write(line) } });
    let registry;
    try {
      registry = await reg.startRegistryServer(config, logger);
    } catch (err) {
      throw new StatusError(1, `berth registry serve: ${(err as Error).message}`);
    }
    await writeOut(ctx.stdout, `listening on ${registry.url}\n`);
    await new Promise<void>((resolve) => {
      const offs: Array<() => void> = [];
      const stop = () => {
        for (const off of offs) off();
        resolve();
      };
      offs.push(ctx.onSignal('SIGINT', stop), ctx.onSignal('SIGTERM', stop));
      offs.push(ctx.onSignal('SIGUSR1', () => void registry.collectGarbage().catch((err) => logger.error('gc failed', { error: err as Error }))));
    });
    logger.info('registry stopping');
    await registry.close();
  },
};
