/**
 * The small header grammars of the distribution protocol: `Content-Range` on ranged blob reads,
 * the upload `Range` a registry reports after each chunk, the `Content-Range` a client sends with a
 * chunk, `Location` of upload sessions (absolute or relative, often with a `_state` query), and the
 * `Link: <…>; rel="next"` of paginated tag lists.
 */
import { RegistryError } from '../registry-errors.js';

export interface ByteRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
  /** Undefined when the server sent `*`. */
  readonly total?: number;
}

/** Parses `bytes <start>-<end>/<total|*>`; undefined for anything else (including the unsatisfied-range form with a star). */
export function parseContentRange(header: string | undefined): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(header);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (m[3] === '*') return { start, end };
  const total = Number(m[3]);
  if (!Number.isSafeInteger(total) || end >= total) return undefined;
  return { start, end, total };
}

/** The `Range` request header asking for everything from `offset` on. */
export function rangeFrom(offset: number): string {
  return `bytes=${offset}-`;
}

/** The `Content-Range` of an upload chunk as the distribution spec writes it: `<start>-<end>`. */
export function chunkContentRange(start: number, length: number): string {
  if (length <= 0) throw new RangeError('an upload chunk has at least one byte');
  return `${start}-${start + length - 1}`;
}

/**
 * Reads the upload progress `Range: 0-<end>` (some registries write `bytes=0-<end>`). Returns the
 * inclusive end, or undefined when absent or malformed.
 */
export function parseUploadRange(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const m = /^\s*(?:bytes=)?0-(\d+)\s*$/i.exec(header);
  return m ? Number(m[1]) : undefined;
}

/**
 * True when an upload `Range` agrees with the bytes sent so far. The reference registry reports
 * `0-0` both for nothing and for one byte, so both read as consistent.
 */
export function uploadRangeMatches(header: string | undefined, bytesSent: number): boolean {
  const end = parseUploadRange(header);
  if (end === undefined) return header === undefined; // absent is fine; malformed is not
  return bytesSent <= 1 ? end === 0 : end === bytesSent - 1;
}

/** Resolves a `Location` header against the URL it answered; a registry that sends none is broken. */
export function resolveLocation(requestUrl: URL, location: string | string[] | undefined, what: string): URL {
  const value = Array.isArray(location) ? location[0] : location;
  if (!value) throw new RegistryError('BLOB_UPLOAD_INVALID', `registry sent no Location for ${what}`, undefined, 502);
  try {
    return new URL(value, requestUrl);
  } catch {
    throw new RegistryError('BLOB_UPLOAD_INVALID', `registry sent an invalid Location for ${what}: ${JSON.stringify(value)}`, undefined, 502);
  }
}

/** A copy of `url` with a query parameter added (keeping `_state` and friends). */
export function withQuery(url: URL, params: Record<string, string>): URL {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
  return u;
}

/** The `rel="next"` target of a `Link` header, resolved against the request URL. */
export function parseLinkNext(header: string | string[] | undefined, requestUrl: URL): URL | undefined {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const m = /^\s*<([^>]*)>\s*((?:;[^;]*)*)$/.exec(part);
      if (!m) continue;
      const params = m[2]!.split(';').map((p) => p.trim());
      if (params.some((p) => /^rel\s*=\s*"?([^"]*)"?$/i.exec(p)?.[1]?.split(/\s+/).includes('next'))) {
        try {
          return new URL(m[1]!, requestUrl);
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}
