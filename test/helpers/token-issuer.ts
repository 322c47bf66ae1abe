/**
 * A token server for tests, as the distribution token spec describes one: GET with
 * `service`/`scope`/`account` (HTTP basic for a user, none for anonymous, `offline_token=true` for a
 * refresh token) and OAuth2 POST (`grant_type=password` or `refresh_token`). It signs RS256 JWTs
 * with a certificate the reference registry trusts (`rootcertbundle`) and records every request.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createSign, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { makeSigningCert, type CertPair } from './test-pki.js';

export interface TokenIssuerOptions {
  dir: string;
  service: string;
  issuer: string;
  /** username → password */
  users: Record<string, string>;
  /** Actions granted to `account` (undefined: anonymous) on a `type:name`. */
  grant: (account: string | undefined, type: string, name: string, requested: string[]) => string[];
  /** Lifetime of tokens in seconds (registry-side `exp`); default 300. */
  expiresIn?: number;
  /** Whether POST is supported (a 405 otherwise); default true. */
  oauthPost?: boolean;
}

export interface TokenRequestRecord {
  method: string;
  account?: string;
  scopes: string[];
  offline: boolean;
  grantType?: string;
  status: number;
}

export interface TokenIssuer {
  realm: string;
  signer: CertPair;
  requests: TokenRequestRecord[];
  /** Refresh tokens handed out: token → account. */
  refreshTokens: Map<string, string>;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startTokenIssuer(opts: TokenIssuerOptions): Promise<TokenIssuer> {
  const signer = makeSigningCert(opts.dir);
  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>();
  const expiresIn = opts.expiresIn ?? 300;

  const sign = (account: string | undefined, scopes: string[]): string => {
    const access = scopes.flatMap((s) => {
      const first = s.indexOf(':');
      const last = s.lastIndexOf(':');
      if (first <= 0 || last === first) return [];
      const type = s.slice(0, first);
      const name = s.slice(first + 1, last);
      const requested = s.slice(last + 1).split(',');
      const actions = opts.grant(account, type, name, requested).filter((a) => requested.includes(a) || requested.includes('*'));
      return actions.length ? [{ type, name, actions }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [signer.derBase64] };
    const claims = { iss: opts.issuer, sub: account ?? '', aud: opts.service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(signer.keyPem);
    return `${input}.${b64url(signature)}`;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (status: number, body: unknown, rec: Omit<TokenRequestRecord, 'status'>) => {
      requests.push({ ...rec, status });
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname !== '/token') return void res.writeHead(404).end();
    if (req.method === 'GET') {
      const scopes = url.searchParams.getAll('scope');
      const offline = url.searchParams.get('offline_token') === 'true';
      let account: string | undefined;
      const auth = req.headers.authorization;
      if (auth?.startsWith('Basic ')) {
        const [user, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
        if (opts.users[user!] === undefined || opts.users[user!] !== rest.join(':')) {
          return reply(401, { details: 'incorrect username or password' }, { method: 'GET', ...(user ? { account: user } : {}), scopes, offline });
        }
        account = user;
      }
      const token = sign(account, scopes);
      const body: Record<string, unknown> = { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() };
      if (offline && account) {
        const refresh = randomBytes(16).toString('hex');
        refreshTokens.set(refresh, account);
        body.refresh_token = refresh;
      }
      return reply(200, body, { method: 'GET', ...(account ? { account } : {}), scopes, offline });
    }
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      const grantType = form.get('grant_type') ?? '';
      const rec = { method: 'POST', scopes, offline: form.get('access_type') === 'offline', grantType };
      if (opts.oauthPost === false) return reply(405, { details: 'method not allowed' }, rec);
      let account: string | undefined;
      if (grantType === 'refresh_token') account = refreshTokens.get(form.get('refresh_token') ?? '');
      else if (grantType === 'password') {
        const u = form.get('username') ?? '';
        if (opts.users[u] !== undefined && opts.users[u] === form.get('password')) account = u;
      }
      if (!account) return reply(401, { details: 'invalid grant' }, rec);
      const token = sign(account, scopes);
      const refresh = randomBytes(16).toString('hex');
      refreshTokens.set(refresh, account);
      return reply(200, { access_token: token, expires_in: expiresIn, refresh_token: refresh, scope: scopes.join(' ') }, { ...rec, account });
    }
    res.writeHead(405).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    signer,
    requests,
    refreshTokens,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
