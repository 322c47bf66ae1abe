/**
 * The registry client: one per daemon (or per pull-through cache). It owns the keep-alive agents,
 * the endpoint pings and the token cache, so every repository handle made from it shares them.
 */
import { InvalidArgumentError, UnauthorizedError } from '../../util/errors.js';
import { Logger } from '../../util/log.js';
import type { Reference } from '../../util/reference.js';
import { defaultCertsDirs } from './certs-dir.js';
import { discardBody, HttpTransport } from './http-transport.js';
import { InsecureRegistries } from './insecure-registries.js';
import { RegistryEndpoint } from './registry-endpoint.js';
import { isDockerHub, normalizeRegistryHost, parseMirror, registryApiHost, type MirrorEndpoint } from './registry-host.js';
import { Repository, type BoundEndpoint, type RepositorySettings } from './registry-repository.js';
import { registryErrorFrom, describeRegistryError } from './response-errors.js';
import { RegistryError } from '../registry-errors.js';
import { TokenService } from './token-service.js';
import type { RegistryClientOptions, RegistryCredentials, RegistryRepository } from './types.js';

export const defaultUserAgent = 'berth/0.1.0';

export class RegistryClient {
  private readonly transport: HttpTransport;
  private readonly tokens: TokenService;
  private readonly endpoints = new Map<string, RegistryEndpoint>();
  private readonly mirrors: MirrorEndpoint[];
  private readonly logger: Logger;
  private readonly settings: RepositorySettings;

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.logger = (opts.logger ?? Logger.silent()).child({ component: 'registry-client' });
    const insecure = new InsecureRegistries(opts.insecureRegistries ?? [], opts.loopbackInsecure ?? true);
    this.mirrors = (opts.mirrors ?? []).map(parseMirror);
    const positive = (v: number | undefined, d: number, what: string): number => {
      if (v === undefined) return d;
      if (!Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`registry client: ${what} must be a non-negative number`);
      return v;
    };
    this.transport = new HttpTransport({
      insecure,
      certsDirs: opts.certsDirs ?? [...defaultCertsDirs],
      userAgent: opts.userAgent ?? defaultUserAgent,
      logger: this.logger,
      headerTimeoutMs: positive(opts.headerTimeoutMs, 30_000, 'headerTimeoutMs'),
      maxSocketsPerHost: Math.max(1, positive(opts.maxSocketsPerHost, 16, 'maxSocketsPerHost')),
    });
    this.tokens = new TokenService(this.transport, this.logger);
    this.settings = {
      retries: positive(opts.retries, 5, 'retries'),
      retryDelayMs: positive(opts.retryDelayMs, 500, 'retryDelayMs'),
      idleTimeoutMs: Math.max(1, positive(opts.idleTimeoutMs, 60_000, 'idleTimeoutMs')),
      chunkSize: Math.max(1, positive(opts.chunkSize, 16 * 1024 * 1024, 'chunkSize')),
      logger: this.logger,
    };
  }

  /** Token requests sent so far (tests check that parallel work shares one). */
  get tokenFetches(): number {
    return this.tokens.fetches;
  }

  private endpoint(host: string, scheme?: 'http' | 'https'): RegistryEndpoint {
    const key = `${scheme ?? ''}|${host}`;
    let e = this.endpoints.get(key);
    if (!e) {
      e = new RegistryEndpoint(host, this.transport, this.tokens, this.logger, scheme);
      this.endpoints.set(key, e);
    }
    return e;
  }

  private credentialsFor(host: string): () => Promise<RegistryCredentials | undefined> {
    let p: Promise<RegistryCredentials | undefined> | undefined;
    return () => {
      if (!p) {
        const callback = this.opts.credentials;
        p = Promise.resolve(callback ? callback(host) : undefined);
        p.catch(() => (p = undefined));
      }
      return p;
    };
  }

  /**
   * A repository handle; `ref` from parseReference (domain + path used; tag and digest ignored).
   * `opts.scheme` fixes the registry's scheme instead of deciding it by the ping (https, then http
   * for insecure hosts): a pull-through cache's upstream URL names its scheme.
   */
  repository(ref: Reference, creds?: RegistryCredentials, opts: { scheme?: 'http' | 'https' } = {}): RegistryRepository {
    const name = normalizeRegistryHost(ref.domain);
    const own: BoundEndpoint = {
      endpoint: this.endpoint(registryApiHost(name), opts.scheme),
      creds: creds ? () => Promise.resolve(creds) : this.credentialsFor(name),
      mirror: false,
    };
    const mirrors: BoundEndpoint[] = isDockerHub(name)
      ? this.mirrors.map((m) => ({ endpoint: this.endpoint(m.host, m.scheme), creds: this.credentialsFor(m.host.toLowerCase()), mirror: true }))
      : [];
    return new Repository({ ...ref, domain: name }, [...mirrors, own], this.settings);
  }

  /**
   * Checks credentials against a registry, as `docker login` does: pings `/v2/`, then proves the
   * credentials with the challenge's scheme (a token request with `offline_token=true` for bearer,
   * an authorized `/v2/` for basic). Returns the refresh token as `identityToken` when the token
   * server gave one. A registry without auth accepts any login. Refused: UnauthorizedError.
   */
  async login(host: string, creds: RegistryCredentials): Promise<{ identityToken?: string; status: 'Login Succeeded' }> {
    if (!(creds.username && creds.password) && !creds.identityToken && !creds.registryToken) {
      throw new InvalidArgumentError('login needs a username and password, an identity token or a registry token');
    }
    const name = normalizeRegistryHost(host);
    const endpoint = this.endpoint(registryApiHost(name));
    const ping = await endpoint.ping();
    const v2 = new URL('/v2/', ping.base);
    const bearer = ping.challenges.find((c) => c.scheme === 'bearer');
    const basic = ping.challenges.find((c) => c.scheme === 'basic');
    let authorization: string | undefined;
    let identityToken: string | undefined;
    if (bearer) {
      if (creds.registryToken) authorization = `Bearer ${creds.registryToken}`;
      else {
        if (!bearer.params.realm) throw new UnauthorizedError(`Get "${v2.href}": no realm specified for token auth challenge`);
        let token;
        try {
          token = await this.tokens.fetch({ realm: bearer.params.realm, ...(bearer.params.service !== undefined ? { service: bearer.params.service } : {}), scopes: [], creds, offline: true });
        } catch (err) {
          if (err instanceof UnauthorizedError) throw new UnauthorizedError(`Get "${v2.href}": ${err.message}`, { cause: err });
          throw err;
        }
        authorization = `Bearer ${token.token}`;
        identityToken = token.refreshToken;
      }
    } else if (basic) {
      if (!(creds.username && creds.password)) throw new UnauthorizedError(`Get "${v2.href}": no basic auth credentials`);
      authorization = 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
    } else if (ping.status === 200) {
      this.logger.info('registry requires no authentication; login accepted', { host: name });
      return { status: 'Login Succeeded' };
    }
    const res = await this.transport.send({ method: 'GET', url: v2, headers: authorization ? { Authorization: authorization } : {} });
    if (res.status === 200) {
      discardBody(res);
      return identityToken ? { identityToken, status: 'Login Succeeded' } : { status: 'Login Succeeded' };
    }
    const e = await registryErrorFrom(res);
    const message = `login attempt to ${v2.href} failed with status: ${res.status} ${res.statusText}`;
    if (res.status === 401 || res.status === 403) throw new UnauthorizedError(message, { cause: e });
    throw new RegistryError(e.code, `${message}: ${describeRegistryError(e)}`, e.detail, e.status, { cause: e });
  }

  /** Closes idle keep-alive connections (requests in flight finish). */
  close(): void {
    this.transport.close();
  }
}
