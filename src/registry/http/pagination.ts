/**
 * `n`/`last` pagination of the tags list and catalog (distribution spec, "Listing Tags"): results
 * in lexical order strictly after `last`, at most `n`, and a `Link: <…>; rel="next"` when more remain.
 */
import { RegistryError } from '../../distribution/index.js';

export interface PageRequest {
  readonly n?: number;
  readonly last?: string;
}

export interface Page {
  readonly items: string[];
  /** The `last` value of the next page, when there is one. */
  readonly nextLast?: string;
}

/** The most entries one page holds, whatever `n` asks (as the reference registry caps it). */
export const maxPageSize = 10000;

/** Reads `n` and `last` from a query; a bad `n` is PAGINATION_NUMBER_INVALID. */
export function parsePageRequest(query: URLSearchParams): PageRequest {
  const rawN = query.get('n');
  const last = query.get('last') ?? undefined;
  if (rawN === null || rawN === '') return last === undefined ? {} : { last };
  if (!/^\d+$/.test(rawN)) throw new RegistryError('PAGINATION_NUMBER_INVALID', 'invalid number of results requested', { n: rawN });
  const n = Number(rawN);
  if (n > maxPageSize) throw new RegistryError('PAGINATION_NUMBER_INVALID', `n must be at most ${maxPageSize}`, { n: rawN });
  return last === undefined ? { n } : { n, last };
}

/** One page of `sorted` (ascending, no duplicates). n = 0 gives an empty page without a next link. */
export function paginate(sorted: readonly string[], req: PageRequest): Page {
  let from = 0;
  if (req.last !== undefined) {
    // First index whose value is > last (binary search; the list is sorted by code unit).
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= req.last) lo = mid + 1;
      else hi = mid;
    }
    from = lo;
  }
  if (req.n === undefined) return { items: sorted.slice(from) };
  if (req.n === 0) return { items: [] };
  const items = sorted.slice(from, from + req.n);
  const more = from + req.n < sorted.length;
  return more ? { items, nextLast: items[items.length - 1]! } : { items };
}

/** The RFC 5988 `Link` header for the next page of `path` (already URL-safe). */
export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
