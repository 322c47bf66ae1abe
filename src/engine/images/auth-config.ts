/**
 * Docker's AuthConfig (the JSON behind X-Registry-Auth and the body of POST /auth) and what the
 * engine makes of it: credentials for the registry client and the registry host a login is for.
 */
import { InvalidArgumentError } from '../../util/errors.js';
import type { RegistryCredentials } from './remote.js';

export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64 of `username:password` (config.json's form). */
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Validates an AuthConfig object as decoded from JSON (unknown keys are ignored, as Go does). */
export function toAuthConfig(v: unknown): AuthConfig {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError('auth config must be a JSON object');
  const o = v as Record<string, unknown>;
  const out: AuthConfig = {};
  for (const k of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const x = o[k] ?? o[k.charAt(0).toUpperCase() + k.slice(1)];
    if (x === undefined || x === null) continue;
    if (typeof x !== 'string') throw new InvalidArgumentError(`auth config: ${k} must be a string`);
    out[k] = x;
  }
  return out;
}

/** Credentials the registry client uses; undefined when the config carries none. */
export function credentialsOf(a: AuthConfig): RegistryCredentials | undefined {
  let username = a.username;
  let password = a.password;
  if (!username && !password && a.auth) {
    const text = Buffer.from(a.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) throw new InvalidArgumentError('auth config: auth is not base64 of user:password');
    username = text.slice(0, colon);
    password = text.slice(colon + 1);
  }
  const c: RegistryCredentials = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(a.identitytoken ? { identityToken: a.identitytoken } : {}),
    ...(a.registrytoken ? { registryToken: a.registrytoken } : {}),
  };
  return Object.keys(c).length ? c : undefined;
}

/**
 * The registry host of a login's server address, as Docker's registry service reads it: empty or
 * Docker Hub's legacy address → `docker.io`; `https://host:5000/v2/` → `host:5000`.
 */
export function registryHost(serverAddress: string | undefined): string {
  let s = (serverAddress ?? '').trim();
  if (s === '') return 'docker.io';
  if (!/^https?:\/\//.test(s)) s = `https://${s}`;
  let host: string;
  try {
    host = new URL(s).host;
  } catch {
    throw new InvalidArgumentError(`unable to parse server address: ${JSON.stringify(serverAddress)}`);
  }
  if (host === '') throw new InvalidArgumentError(`unable to parse server address: ${JSON.stringify(serverAddress)}`);
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') return 'docker.io';
  return host;
}
