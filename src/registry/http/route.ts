/**
 * Turns a request path into one of the registry's routes without a regex table: the `/v2/`
 * resources are recognised by their last segments (names have `/` in them, tags and digests
 * never do). The repository name is taken raw, never percent-decoded, so `%2F`, `..` or any
 * other trick fails the spec's name grammar (NAME_INVALID) before storage sees it.
 */
import { isRepositoryName, RegistryError } from '../../distribution/index.js';

export type Route =
  | { readonly kind: 'base' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'token' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: string }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: string }
  | { readonly kind: 'uploads'; readonly name: string }
  | { readonly kind: 'upload'; readonly name: string; readonly id: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string }
  | { readonly kind: 'unknown' };

export type RouteKind = Route['kind'];

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function named(segments: string[], keep: number, make: (name: string) => Route): Route {
  const name = segments.slice(0, segments.length - keep).join('/');
  if (!isRepositoryName(name)) throw new RegistryError('NAME_INVALID', 'invalid repository name', { name });
  return make(name);
}

/** The route of `path` (the URL without its query). Throws NAME_INVALID for a malformed name. */
export function parseRoute(path: string): Route {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  if (path === '/token') return { kind: 'token' };
  if (path === '/metrics') return { kind: 'metrics' };
  if (!path.startsWith('/v2/')) return { kind: 'unknown' };
  const seg = path.slice(4).split('/');
  const n = seg.length;
  const at = (i: number) => seg[n + i];
  if (n >= 3 && at(-2) === 'tags' && at(-1) === 'list') return named(seg, 2, (name) => ({ kind: 'tags', name }));
  if (n >= 4 && at(-3) === 'blobs' && at(-2) === 'uploads') {
    const id = at(-1)!;
    return named(seg, 3, (name) => (id === '' ? { kind: 'uploads', name } : { kind: 'upload', name, id }));
  }
  if (n >= 3 && at(-2) === 'blobs' && at(-1) === 'uploads') return named(seg, 2, (name) => ({ kind: 'uploads', name }));
  if (n >= 3 && at(-2) === 'manifests' && at(-1) !== '') return named(seg, 2, (name) => ({ kind: 'manifest', name, reference: decodeSegment(at(-1)!) }));
  if (n >= 3 && at(-2) === 'blobs' && at(-1) !== '') return named(seg, 2, (name) => ({ kind: 'blob', name, digest: decodeSegment(at(-1)!) }));
  if (n >= 3 && at(-2) === 'referrers' && at(-1) !== '') return named(seg, 2, (name) => ({ kind: 'referrers', name, digest: decodeSegment(at(-1)!) }));
  return { kind: 'unknown' };
}
