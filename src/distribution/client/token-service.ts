/**
 * Bearer tokens of the distribution token spec, fetched from the realm a registry's challenge
 * names. A token is cached per realm + service + scopes + credentials until shortly before it
 * expires, and one fetch in flight is shared by every request that needs the same token (many
 * parallel blob downloads make one token request).
 *
 * Grants, as Docker's client makes them: with an identity (refresh) token, an OAuth2 POST
 * `grant_type=refresh_token` (falling back to GET when the server answers 404/405); otherwise a GET
 * with `service`, `scope`, `account` and HTTP basic credentials when there are any, plus
 * `offline_token=true&client_id=…` when asked for a refresh token (login).
 */
import { createHash } from 'node:crypto';
import { UnauthorizedError, InvalidArgumentError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { RegistryError } from '../registry-errors.js';
import { readBody, type HttpTransport } from './http-transport.js';
import { describeRegistryError, registryErrorFrom } from './response-errors.js';
import type { RegistryCredentials } from './types.js';

/** Docker assumes at least this lifetime for tokens (older clients did not read `expires_in`). */
const minimumLifetimeSeconds = 60;
/** A cached token is renewed this long before it expires, so it never expires in flight. */
const renewMarginMs = 10_000;
const maxTokenResponse = 1024 * 1024;

export const clientId = 'berth';

export interface TokenRequest {
  realm: string;
  service?: string;
  scopes: readonly string[];
  creds?: RegistryCredentials;
  /** Ask for a refresh token too (`offline_token=true`), as login does. */
  offline?: boolean;
  /** Honoured by fetch(); get() shares one fetch among callers, so pass none there. */
  signal?: AbortSignal;
}

export interface TokenResult {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  refreshToken?: string;
}

function credsKey(creds: RegistryCredentials | undefined): string {
  if (!creds) return 'anonymous';
  return createHash('sha256').update(JSON.stringify([creds.username ?? '', creds.password ?? '', creds.identityToken ?? ''])).digest('hex');
}

export class TokenService {
  private readonly cache = new Map<string, TokenResult>();
  private readonly inflight = new Map<string, Promise<TokenResult>>();
  /** Token requests sent (for tests and debugging). */
  fetches = 0;

  constructor(
    private readonly transport: HttpTransport,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private key(req: TokenRequest): string {
    return JSON.stringify([req.realm, req.service ?? '', [...req.scopes].sort(), credsKey(req.creds), !!req.offline]);
  }

  /** A cached or shared token; `fresh` drops the cached one first (after a 401 with it). */
  async get(req: TokenRequest, fresh = false): Promise<string> {
    const key = this.key(req);
    if (fresh) this.cache.delete(key);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt - renewMarginMs > this.now()) return cached.token;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetch(req).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
      p.then((r) => this.cache.set(key, r), () => {});
    }
    return (await p).token;
  }

  /** One token request, never cached. */
  async fetch(req: TokenRequest): Promise<TokenResult> {
    let realm: URL;
    try {
      realm = new URL(req.realm);
    } catch {
      throw new InvalidArgumentError(`invalid token auth challenge realm: ${JSON.stringify(req.realm)}`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new InvalidArgumentError(`invalid token auth challenge realm: ${JSON.stringify(req.realm)}`);
    }
    const started = this.now();
    if (req.creds?.identityToken) {
      const viaPost = await this.fetchWithRefreshToken(realm, req, req.creds.identityToken);
      if (viaPost) return this.finish(viaPost, started, req.creds.identityToken);
    }
    return this.finish(await this.fetchWithGet(realm, req), started);
  }

  private async fetchWithRefreshToken(realm: URL, req: TokenRequest, refreshToken: string): Promise<Record<string, unknown> | undefined> {
    const form = new URLSearchParams();
    form.set('scope', req.scopes.join(' '));
    if (req.service) form.set('service', req.service);
    form.set('client_id', clientId);
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', refreshToken);
    if (req.offline) form.set('access_type', 'offline');
    this.fetches++;
    const res = await this.transport.send({
      method: 'POST',
      url: realm,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
      ...(req.signal ? { signal: req.signal } : {}),
    });
    if (res.status === 404 || res.status === 405) {
      res.body.resume();
      this.logger.debug('token server has no OAuth2 POST; using GET', { realm: realm.href });
      return undefined;
    }
    return this.parse(res, realm);
  }

  private async fetchWithGet(realm: URL, req: TokenRequest): Promise<Record<string, unknown>> {
    const url = new URL(realm);
    if (req.service) url.searchParams.append('service', req.service);
    for (const s of req.scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    const { username, password } = req.creds ?? {};
    if (req.offline) {
      url.searchParams.append('offline_token', 'true');
      url.searchParams.append('client_id', clientId);
    }
    if (username && password) {
      url.searchParams.append('account', username);
      headers.Authorization = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
    }
    this.fetches++;
    const res = await this.transport.send({ method: 'GET', url, headers, ...(req.signal ? { signal: req.signal } : {}) });
    return this.parse(res, realm);
  }

  private async parse(res: Awaited<ReturnType<HttpTransport['send']>>, realm: URL): Promise<Record<string, unknown>> {
    if (res.status < 200 || res.status > 299) {
      const e = await registryErrorFrom(res, 'UNAUTHORIZED');
      if (res.status === 401 || res.status === 403) throw new UnauthorizedError(describeRegistryError(e), { cause: e });
      throw new RegistryError(e.code, `token request to ${realm.origin}${realm.pathname} failed: ${describeRegistryError(e)}`, e.detail, e.status, { cause: e });
    }
    const body = await readBody(res, maxTokenResponse, 'token response');
    let v: unknown;
    try {
      v = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new RegistryError('UNKNOWN', `unable to decode token response: ${(err as Error).message}`, undefined, 502);
    }
    if (v === null || typeof v !== 'object') throw new RegistryError('UNKNOWN', 'unable to decode token response: not an object', undefined, 502);
    return v as Record<string, unknown>;
  }

  private finish(v: Record<string, unknown>, started: number, previousRefresh?: string): TokenResult {
    // `access_token` (OAuth2) and `token` (Docker's) mean the same; either will do.
    const token = typeof v.access_token === 'string' && v.access_token ? v.access_token : typeof v.token === 'string' ? v.token : '';
    if (!token) throw new UnauthorizedError('authorization server did not include a token in the response');
    const expiresIn = typeof v.expires_in === 'number' && v.expires_in >= minimumLifetimeSeconds ? v.expires_in : minimumLifetimeSeconds;
    // The local clock at request time, not `issued_at`: a skewed server clock must not make a
    // fresh token look expired (or an old one valid).
    const result: TokenResult = { token, expiresAt: started + expiresIn * 1000 };
    const refresh = typeof v.refresh_token === 'string' && v.refresh_token ? v.refresh_token : previousRefresh;
    if (refresh) result.refreshToken = refresh;
    return result;
  }
}
