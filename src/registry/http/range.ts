/**
 * The two byte-range headers the registry reads: `Range` on blob GETs (RFC 9110 §14, one range)
 * and `Content-Range` on upload chunks (the distribution spec's inclusive `<start>-<end>`).
 * Pure functions; the handlers turn their answers into 206, 416 or RANGE_INVALID.
 */

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

/**
 * Reads a `Range` header against a blob of `size` bytes. Returns `undefined` when the header is
 * absent, not a bytes range or lists several ranges (the whole blob is then served, as RFC 9110
 * allows a server to ignore Range), `'unsatisfiable'` when no byte of the range exists (416),
 * else the range clipped to the blob.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    // Suffix range: the last N bytes.
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < start) return undefined; // syntactically invalid: ignore it
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/**
 * Reads an upload chunk's `Content-Range`. The spec's form is `<start>-<end>`; Docker's older
 * clients send `bytes <start>-<end>/<total|*>`, accepted too. Returns undefined when malformed.
 */
export function parseContentRange(header: string): ByteRange | undefined {
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end };
}

/** The `Range` header of an upload status: `0-<last byte>`, `0-0` when nothing arrived yet (as the reference). */
export function uploadRangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}
