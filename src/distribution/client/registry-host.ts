/**
 * Registry host names as Docker treats them. Docker Hub has three names — `docker.io` (what
 * references say), `index.docker.io` (the legacy index, and `https://index.docker.io/v1/` the key of
 * its credentials in `~/.docker/config.json`) and `registry-1.docker.io` (where the v2 API answers).
 * Everything else is `host[:port]` as written in the reference.
 */
import { InvalidArgumentError } from '../../util/errors.js';

export const dockerHubName = 'docker.io';
export const dockerHubApiHost = 'registry-1.docker.io';
/** The key Docker stores Docker Hub credentials under in `config.json` `auths`. */
export const dockerHubAuthKey = 'https://index.docker.io/v1/';

const hubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * `https://index.docker.io/v1/`, `index.docker.io`, `registry-1.docker.io` → `docker.io`;
 * `http://host:5000/` → `host:5000`. Scheme and path are dropped, as Docker's ConvertToHostname does.
 */
export function normalizeRegistryHost(input: string): string {
  let s = input.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme) s = s.slice(scheme[0].length);
  s = s.split('/')[0]!;
  if (s === '') throw new InvalidArgumentError(`invalid registry host ${JSON.stringify(input)}`);
  const lower = s.toLowerCase();
  return hubAliases.has(lower) ? dockerHubName : lower;
}

export function isDockerHub(host: string): boolean {
  return hubAliases.has(host.toLowerCase());
}

/** Where the v2 API of a registry answers (Docker Hub's differs from its name). */
export function registryApiHost(name: string): string {
  return isDockerHub(name) ? dockerHubApiHost : name;
}

/** The `config.json` `auths` key Docker uses for a registry. */
export function authConfigKey(name: string): string {
  return isDockerHub(name) ? dockerHubAuthKey : name;
}

export interface MirrorEndpoint {
  /** `http` or `https` when the mirror URL names it; undefined means decide as for a registry. */
  readonly scheme?: 'http' | 'https';
  readonly host: string;
}

/**
 * Parses a `registry-mirrors` entry (`https://mirror.example:5000`, `http://10.0.0.2`, or a bare
 * host). Paths other than `/`, queries, fragments and credentials are refused, as in Docker.
 */
export function parseMirror(entry: string): MirrorEndpoint {
  const text = entry.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(`invalid mirror: ${JSON.stringify(entry)} is not a valid URI`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`invalid mirror: unsupported scheme ${JSON.stringify(url.protocol.slice(0, -1))} in ${JSON.stringify(entry)}: must use either 'https://' or 'http://'`);
  }
  if (url.search || url.hash) throw new InvalidArgumentError(`invalid mirror: query or fragment at end of the URI ${JSON.stringify(entry)}`);
  if (url.username || url.password) throw new InvalidArgumentError(`invalid mirror: username/password not allowed in URI ${JSON.stringify(entry)}`);
  if (url.pathname !== '/' && url.pathname !== '') throw new InvalidArgumentError(`invalid mirror: path not allowed in URI ${JSON.stringify(entry)}`);
  const explicit = text === withScheme;
  const host = url.host;
  return explicit ? { scheme: url.protocol === 'http:' ? 'http' : 'https', host } : { host };
}
