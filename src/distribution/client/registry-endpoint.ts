/**
 * One registry API endpoint (a registry or a mirror): decides the scheme once by pinging `/v2/`
 * (https; for insecure registries https without verification, then http, as Docker does), keeps
 * the ping's auth challenges, and sends requests authorized for the scopes they need. A 401 with a
 * challenge re-authenticates once (a fresh token with the challenge's scope merged in: expired or
 * revoked tokens, insufficient scope, a registry that protects only some repositories).
 */
import { UnauthorizedError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { RegistryConnectionError, goMethod } from './connection-error.js';
import { discardBody, drainBody, type HttpRequest, type HttpResponse, type HttpTransport } from './http-transport.js';
import { mergeScopes } from './scope.js';
import type { TokenService } from './token-service.js';
import type { RegistryCredentials } from './types.js';
import { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';

export interface PingResult {
  /** `https://host:port/` or `http://host:port/` */
  readonly base: URL;
  readonly status: number;
  /** Mutable: a registry that answered the ping without a challenge may challenge later. */
  challenges: AuthChallenge[];
}

export interface EndpointRequest extends Omit<HttpRequest, 'url'> {
  /** A path under the base (`/v2/name/manifests/tag`), or an absolute URL (upload Locations, Link pages). */
  path?: string;
  url?: URL;
  scopes: readonly string[];
  creds?: RegistryCredentials;
  /** Follow redirects (GET/HEAD of blobs). */
  redirects?: boolean;
}

export class RegistryEndpoint {
  private pinged: Promise<PingResult> | undefined;

  constructor(
    /** `host[:port]` where the v2 API answers. */
    readonly host: string,
    private readonly transport: HttpTransport,
    private readonly tokens: TokenService,
    private readonly logger: Logger,
    private readonly scheme?: 'http' | 'https',
  ) {}

  /**
   * Pings once; a failed ping is forgotten so the next call tries again. The ping is shared by
   * every caller, so no caller's abort signal reaches it (its header deadline bounds it).
   */
  ping(): Promise<PingResult> {
    if (!this.pinged) {
      const p = this.doPing();
      this.pinged = p;
      p.catch(() => {
        if (this.pinged === p) this.pinged = undefined;
      });
    }
    return this.pinged;
  }

  private async doPing(): Promise<PingResult> {
    const schemes: Array<'http' | 'https'> = this.scheme ? [this.scheme] : (await this.transport.isInsecure(this.host)) ? ['https', 'http'] : ['https'];
    let lastError: unknown;
    for (const scheme of schemes) {
      const base = new URL(`${scheme}://${this.host}/`);
      try {
        const res = await this.transport.send({ method: 'GET', url: new URL('/v2/', base) });
        await drainBody(res);
        const challenges = res.status === 401 ? parseWwwAuthenticate(res.headers['www-authenticate']) : [];
        this.logger.debug('registry ping', { host: this.host, base: base.href, status: res.status, challenges: challenges.map((c) => c.scheme) });
        return { base, status: res.status, challenges };
      } catch (err) {
        lastError = err;
        if (!(err instanceof RegistryConnectionError)) throw err;
        this.logger.debug('registry ping failed', { host: this.host, base: base.href, error: err.message });
      }
    }
    throw lastError;
  }

  /** The base URL (after the ping). */
  async base(): Promise<URL> {
    return (await this.ping()).base;
  }

  /**
   * Sends an authorized request. Returns any HTTP answer (the caller reads status and body); a
   * 401 comes back only after one re-authentication failed or none was possible.
   */
  async request(r: EndpointRequest): Promise<HttpResponse> {
    const ping = await this.ping();
    if (r.signal?.aborted) throw r.signal.reason instanceof Error ? r.signal.reason : new DOMException('The operation was aborted', 'AbortError');
    const url = r.url ?? new URL(r.path ?? '/v2/', ping.base);
    const first = await this.authorization(ping.challenges, r, r.scopes, false, url);
    const res = await this.send(r, url, first);
    if (res.status !== 401) return res;
    const challenges = parseWwwAuthenticate(res.headers['www-authenticate']);
    if (challenges.length === 0) return res;
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const scopes = mergeScopes(r.scopes, bearer?.params.scope);
    let second: string | undefined;
    try {
      second = await this.authorization(challenges, r, scopes, true, url);
    } catch (err) {
      discardBody(res);
      throw err;
    }
    // The same credentials again would get the same answer.
    if (second === undefined || second === first) return res;
    await drainBody(res);
    if (ping.challenges.length === 0) ping.challenges = challenges;
    return this.send(r, url, second);
  }

  private send(r: EndpointRequest, url: URL, authorization: string | undefined): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...r.headers };
    if (authorization) headers.Authorization = authorization;
    const req: HttpRequest = { method: r.method, url, headers };
    if (r.body !== undefined) req.body = r.body;
    if (r.signal) req.signal = r.signal;
    if (r.onBodyProgress) req.onBodyProgress = r.onBodyProgress;
    return r.redirects ? this.transport.sendFollowingRedirects(req) : this.transport.send(req);
  }

  /** The Authorization value for these challenges, or undefined for anonymous. */
  private async authorization(challenges: AuthChallenge[], r: EndpointRequest, scopes: readonly string[], fresh: boolean, url: URL): Promise<string | undefined> {
    const creds = r.creds;
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
      const realm = bearer.params.realm;
      if (!realm) throw new UnauthorizedError(`${goMethod(r.method)} "${url.href}": no realm specified for token auth challenge`);
      // Shared with concurrent requests: no one caller's abort signal may cancel it.
      const token = await this.tokens.get({ realm, ...(bearer.params.service !== undefined ? { service: bearer.params.service } : {}), scopes, ...(creds ? { creds } : {}) }, fresh);
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (creds?.username && creds.password) return 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
      throw new UnauthorizedError(`${goMethod(r.method)} "${url.href}": no basic auth credentials`);
    }
    return undefined;
  }
}
