/**
 * Image references as Docker normalizes them (the distribution project's reference grammar):
 * `busybox` → `docker.io/library/busybox:latest`, `host:5000/ns/app:1.0`, `app@sha256:…`,
 * `app:tag@sha256:…`. Parsing never touches the network or the store.
 */
import { InvalidArgumentError } from './errors.js';
import { isDigest, type Digest } from './digest.js';

export const defaultDomain = 'docker.io';
export const officialRepoPrefix = 'library/';
export const defaultTag = 'latest';

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainComponent = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const maxNameLength = 255;

export interface Reference {
  /** Registry host (with port), e.g. `docker.io`, `localhost:5000`. */
  readonly domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

function invalid(ref: string, why?: string): InvalidArgumentError {
  return new InvalidArgumentError(
    why ? `invalid reference format: ${why}` : `invalid reference format: ${JSON.stringify(ref)}`,
  );
}

function isDomain(candidate: string): boolean {
  if (candidate === 'localhost') return true;
  if (!candidate.includes('.') && !candidate.includes(':')) return false;
  return validDomain(candidate);
}

function validDomain(domain: string): boolean {
  let host = domain;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return false;
    const v6 = host.slice(1, end);
    if (!/^[0-9a-fA-F:.]+$/.test(v6)) return false;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:[0-9]+$/.test(rest)) return false;
    return true;
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
    if (!/^[0-9]+$/.test(port)) return false;
  }
  return host.split('.').every((c) => domainComponent.test(c));
}

/**
 * Parses and normalizes a reference. A missing tag stays missing (callers that need one use
 * `withDefaultTag`), so `busybox@sha256:…` does not grow a `latest` tag.
 */
export function parseReference(input: string): Reference {
  if (input === '' || input.length > 512) throw invalid(input);
  // A bare 64-hex string is an image id, never a repository (Docker refuses it the same way).
  if (/^[a-f0-9]{64}$/.test(input)) {
    throw new InvalidArgumentError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw invalid(input);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) throw invalid(input);
  }
  if (rest === '') throw invalid(input);

  let domain = defaultDomain;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0 && isDomain(rest.slice(0, firstSlash))) {
    domain = rest.slice(0, firstSlash);
    path = rest.slice(firstSlash + 1);
  }
  if (domain === 'index.docker.io') domain = defaultDomain;
  if (domain === defaultDomain && !path.includes('/')) path = officialRepoPrefix + path;

  if (path.toLowerCase() !== path || domain !== domain.trim()) {
    if (path.toLowerCase() !== path) throw invalid(input, `repository name (${path}) must be lowercase`);
  }
  const components = path.split('/');
  if (components.some((c) => !pathComponent.test(c))) throw invalid(input);
  if (domain.length + 1 + path.length > maxNameLength) {
    throw invalid(input, `repository name must not be more than ${maxNameLength} characters`);
  }
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: defaultTag } : ref;
}

/** `docker.io/library/busybox` */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalized string: `docker.io/library/busybox:latest`, `host/app@sha256:…`. */
export function formatReference(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The name as Docker shows it to people: `busybox`, `user/app`, `localhost:5000/app`. */
export function familiarRepository(ref: Reference): string {
  if (ref.domain !== defaultDomain) return repositoryName(ref);
  return ref.path.startsWith(officialRepoPrefix) ? ref.path.slice(officialRepoPrefix.length) : ref.path;
}

/** `busybox:latest`, `localhost:5000/app@sha256:…` */
export function familiarString(ref: Reference): string {
  let s = familiarRepository(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** True when the string is a 64-hex image or container id with or without `sha256:`. */
export function looksLikeFullId(s: string): boolean {
  return /^(sha256:)?[a-f0-9]{64}$/.test(s);
}
