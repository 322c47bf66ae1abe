/** Just enough of Docker's image references for display: familiar names, tags, digests. */

export interface ParsedRef {
  /** Full name without tag or digest, e.g. `docker.io/library/busybox`. */
  readonly name: string;
  readonly tag: string | null;
  readonly digest: string | null;
}

const digestRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const pathComponent = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

/** Parses and normalises like reference.ParseNormalizedNamed; null when it is not a reference. */
export function parseReference(ref: string): ParsedRef | null {
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) return null;
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return null;
  }
  if (rest === '') return null;
  const parts = rest.split('/');
  let domain = 'docker.io';
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost' || parts[0] !== parts[0]!.toLowerCase())) {
    domain = parts.shift()!;
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (!parts.every((p) => pathComponent.test(p))) return null;
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  return { name: `${domain}/${parts.join('/')}`, tag, digest };
}

/** `docker.io/library/busybox` → `busybox`; `docker.io/me/app` → `me/app`. */
export function familiarName(name: string): string {
  if (name.startsWith('docker.io/library/') && name.split('/').length === 3) return name.slice('docker.io/library/'.length);
  if (name.startsWith('docker.io/')) return name.slice('docker.io/'.length);
  return name;
}

/** Familiar form with the tag, adding `:latest` when there is neither tag nor digest. */
export function familiarTagged(ref: string): string {
  const p = parseReference(ref);
  if (!p) return ref;
  let s = familiarName(p.name);
  if (p.tag) s += `:${p.tag}`;
  else if (!p.digest) s += ':latest';
  if (p.digest) s += `@${p.digest}`;
  return s;
}
