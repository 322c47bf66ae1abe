/**
 * Who may do what: no auth, htpasswd basic auth, or bearer tokens from the built-in issuer.
 * `authorize` either returns the principal or throws an AuthChallengeError, which the error
 * responder turns into 401 with the `WWW-Authenticate` challenge docker and skopeo expect:
 * `Basic realm="…"`, or `Bearer realm="<token URL>",service="…",scope="repository:x:pull"`
 * (with `error="insufficient_scope"` when a token lacks the access).
 */
import type { IncomingMessage } from 'node:http';
import { RegistryError } from '../../distribution/index.js';
import type { AuthConfig } from '../config.js';
import type { Htpasswd } from './htpasswd.js';
import { TokenInvalidError, verifyToken, type TokenKey } from './jwt.js';
import { covers, formatScope, type ResourceAccess } from './scope.js';

export class AuthChallengeError extends RegistryError {
  constructor(
    readonly challenge: string,
    message: string,
    detail?: unknown,
  ) {
    super('UNAUTHORIZED', message, detail, 401);
  }
}

export interface Principal {
  readonly account: string | undefined;
  /** Whether the request may also do `access` (a mount's pull from the source repository). */
  can(access: ResourceAccess): boolean;
}

const everything: Principal = { account: undefined, can: () => true };

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

export interface RegistryAuthOptions {
  readonly config: AuthConfig;
  readonly htpasswd?: Htpasswd;
  readonly tokenKey?: TokenKey;
  readonly now?: () => number;
}

export class RegistryAuth {
  readonly config: AuthConfig;
  private readonly htpasswd: Htpasswd | undefined;
  private readonly tokenKey: TokenKey | undefined;
  private readonly now: () => number;

  constructor(opts: RegistryAuthOptions) {
    this.config = opts.config;
    this.htpasswd = opts.htpasswd;
    this.tokenKey = opts.tokenKey;
    this.now = opts.now ?? Date.now;
    if (this.config.kind !== 'none' && !this.htpasswd) throw new Error('htpasswd users are required for this auth mode');
    if (this.config.kind === 'token' && !this.tokenKey) throw new Error('a token signing key is required for token auth');
  }

  /** Checks an htpasswd user's password (for /metrics whatever the mode). */
  async verifyUser(user: string, password: string): Promise<boolean> {
    return (await this.htpasswd?.verify(user, password)) ?? false;
  }

  /** The token endpoint URL put in challenges. */
  tokenRealm(req: IncomingMessage, secure: boolean): string {
    if (this.config.kind === 'token' && this.config.realm) return this.config.realm;
    return `${secure ? 'https' : 'http'}://${req.headers.host ?? '127.0.0.1'}/token`;
  }

  /** Checks the request's credentials against the access it needs ([] for just "logged in", as `/v2/`). */
  async authorize(req: IncomingMessage, needed: readonly ResourceAccess[], secure: boolean): Promise<Principal> {
    const c = this.config;
    if (c.kind === 'none') return everything;
    const header = req.headers.authorization;
    if (c.kind === 'htpasswd') {
      const creds = parseBasic(header);
      const challenge = `Basic realm=${quote(c.realm)}`;
      if (!creds) throw new AuthChallengeError(challenge, 'authentication required');
      if (!(await this.htpasswd!.verify(creds.user, creds.password))) throw new AuthChallengeError(challenge, 'invalid username or password');
      return { account: creds.user, can: () => true };
    }
    const scope = needed.map(formatScope).join(' ');
    const challenge = (error?: string) =>
      `Bearer realm=${quote(this.tokenRealm(req, secure))},service=${quote(c.service)}${scope ? `,scope=${quote(scope)}` : ''}${error ? `,error=${quote(error)}` : ''}`;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) throw new AuthChallengeError(challenge(), 'authentication required', needed.length ? { access: needed } : undefined);
    let granted: ResourceAccess[];
    let account: string;
    try {
      const claims = verifyToken(this.tokenKey!, m[1]!, { issuer: c.issuer, audience: c.service, nowSeconds: Math.floor(this.now() / 1000) });
      granted = claims.access;
      account = claims.sub;
    } catch (err) {
      if (err instanceof TokenInvalidError) throw new AuthChallengeError(challenge('invalid_token'), `invalid token: ${err.message}`);
      throw err;
    }
    for (const n of needed) {
      if (!covers(granted, n)) throw new AuthChallengeError(challenge('insufficient_scope'), 'insufficient scope: the token does not grant this access', { access: needed });
    }
    return { account: account || undefined, can: (a) => covers(granted, a) };
  }
}
