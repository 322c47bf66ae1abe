/**
 * Compact JWS tokens (RFC 7515/7519) signed with ES256, as the built-in token issuer hands them
 * out and the registry checks them. Only ES256 is produced or accepted, so an `alg: none` or an
 * HMAC-with-the-public-key token never verifies.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import type { ResourceAccess } from './scope.js';

export interface TokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly access: ResourceAccess[];
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A P-256 key pair: loaded from PEM, or made fresh. */
export class TokenKey {
  private constructor(
    readonly privateKey: KeyObject,
    readonly publicKey: KeyObject,
  ) {}

  static generate(): TokenKey {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new TokenKey(privateKey, publicKey);
  }

  /** Reads a PEM private key; anything but a P-256 EC key is refused with the reason. */
  static fromPem(pem: string | Buffer): TokenKey {
    const privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('Cannot use token signing key: it must be an EC P-256 private key (openssl ecparam -name prime256v1 -genkey)');
    }
    return new TokenKey(privateKey, createPublicKey(privateKey));
  }

  toPem(): string {
    return this.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  }

  /** A key id derived from the public key, so verifiers can tell keys apart. */
  get kid(): string {
    const der = this.publicKey.export({ type: 'spki', format: 'der' });
    return b64url(der.subarray(der.length - 32)).slice(0, 16);
  }
}

export function signToken(key: TokenKey, claims: Omit<TokenClaims, 'jti'> & { jti?: string }): string {
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: key.kid }));
  const payload = b64url(JSON.stringify({ ...claims, jti: claims.jti ?? randomBytes(12).toString('hex') }));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${b64url(signature)}`;
}

export class TokenInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenInvalidError';
  }
}

/**
 * Checks signature, algorithm, issuer, audience and the time window (with `leewaySeconds` of
 * clock skew); returns the claims or throws TokenInvalidError saying which check failed.
 */
export function verifyToken(
  key: TokenKey,
  token: string,
  expect: { issuer: string; audience: string; nowSeconds: number; leewaySeconds?: number },
): TokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenInvalidError('malformed token');
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown };
  let claims: TokenClaims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw new TokenInvalidError('malformed token');
  }
  if (header.alg !== 'ES256') throw new TokenInvalidError('unsupported token algorithm');
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw new TokenInvalidError('bad token signature');
  const leeway = expect.leewaySeconds ?? 60;
  if (claims.iss !== expect.issuer) throw new TokenInvalidError('token from another issuer');
  const aud = claims.aud as unknown;
  if (!(aud === expect.audience || (Array.isArray(aud) && aud.includes(expect.audience)))) throw new TokenInvalidError('token for another service');
  if (typeof claims.exp !== 'number' || claims.exp + leeway < expect.nowSeconds) throw new TokenInvalidError('token expired');
  if (typeof claims.nbf === 'number' && claims.nbf - leeway > expect.nowSeconds) throw new TokenInvalidError('token not valid yet');
  if (!Array.isArray(claims.access)) throw new TokenInvalidError('token has no access claim');
  return claims;
}
