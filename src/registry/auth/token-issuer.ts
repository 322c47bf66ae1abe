/**
 * The built-in token endpoint of Docker's token authentication spec: `GET /token?service=…&
 * scope=…` with optional basic credentials (users from htpasswd), and the OAuth2 password grant
 * (`POST /token`, form body) that newer docker clients try. It grants the intersection of what was
 * asked with what the access rules allow, signs an ES256 JWT, and answers the JSON docker reads.
 * Asking for access one does not have is not an error: the token just does not carry it (the
 * registry then refuses the request, as Docker's token servers behave).
 */
import type { IncomingMessage } from 'node:http';
import type { Htpasswd } from './htpasswd.js';
import { signToken, type TokenKey } from './jwt.js';
import { parseBasic } from './registry-auth.js';
import { AccessPolicy, defaultAccessRules, parseScopes, type AccessRule } from './scope.js';

export interface TokenIssuerOptions {
  readonly issuer: string;
  readonly service: string;
  readonly key: TokenKey;
  readonly htpasswd: Htpasswd;
  readonly expirationSeconds: number;
  readonly rules: readonly AccessRule[];
  readonly now?: () => number;
}

export interface TokenResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

export class TokenIssuer {
  private readonly policy: AccessPolicy;
  private readonly now: () => number;

  constructor(private readonly opts: TokenIssuerOptions) {
    this.policy = new AccessPolicy(opts.rules.length > 0 ? opts.rules : defaultAccessRules);
    this.now = opts.now ?? Date.now;
  }

  /** Answers one token request; `form` is the parsed body of a POST. */
  async handle(req: IncomingMessage, query: URLSearchParams, form?: URLSearchParams): Promise<TokenResponse> {
    const denied = (message: string): TokenResponse => ({
      status: 401,
      body: { errors: [{ code: 'UNAUTHORIZED', message }] },
      headers: { 'WWW-Authenticate': `Basic realm="${this.opts.service}"` },
    });
    let user: string | undefined;
    let password: string | undefined;
    let scopes: string[];
    let service: string | null;
    if (form) {
      if (form.get('grant_type') !== 'password') {
        return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'only the password grant is supported' } };
      }
      user = form.get('username') ?? undefined;
      password = form.get('password') ?? undefined;
      scopes = form.getAll('scope');
      service = form.get('service');
    } else {
      const creds = parseBasic(req.headers.authorization);
      if (req.headers.authorization !== undefined && !creds) return denied('malformed credentials');
      user = creds?.user;
      password = creds?.password;
      scopes = query.getAll('scope');
      service = query.get('service');
    }
    if (service !== null && service !== this.opts.service) {
      return { status: 400, body: { errors: [{ code: 'DENIED', message: `this issuer serves ${JSON.stringify(this.opts.service)}, not ${JSON.stringify(service)}` }] } };
    }
    let account: string | undefined;
    if (user !== undefined) {
      if (!(await this.opts.htpasswd.verify(user, password ?? ''))) return denied('invalid username or password');
      account = user;
    }
    const access = this.policy.grant(account, parseScopes(scopes));
    const nowSeconds = Math.floor(this.now() / 1000);
    const token = signToken(this.opts.key, {
      iss: this.opts.issuer,
      sub: account ?? '',
      aud: this.opts.service,
      iat: nowSeconds,
      nbf: nowSeconds,
      exp: nowSeconds + this.opts.expirationSeconds,
      access,
    });
    return {
      status: 200,
      body: { token, access_token: token, expires_in: this.opts.expirationSeconds, issued_at: new Date(nowSeconds * 1000).toISOString() },
    };
  }
}
