/**
 * PAX extended header records (`"<len> <key>=<value>\n"`) with byte-exact values. tar-stream
 * decodes values as UTF-8 strings, which corrupts binary xattrs such as `security.capability`;
 * Go's archive/tar (Docker) writes and reads them as raw bytes, so Berth does too.
 */

/** The xattr record prefix used by Docker, GNU tar and bsdtar. */
export const paxXattrPrefix = 'SCHILY.xattr.';

/**
 * Parses records the way tar-stream's `decodePax` does (same stopping rules), keeping values as
 * bytes. Later records override earlier ones.
 */
export function parsePaxRecords(buf: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  while (buf.length) {
    let i = 0;
    while (i < buf.length && buf[i] !== 0x20) i++;
    const len = parseInt(buf.subarray(0, i).toString(), 10);
    if (!len) return records;
    const body = buf.subarray(i + 1, len - 1);
    const eq = body.indexOf(0x3d);
    if (eq === -1) return records;
    records.set(body.subarray(0, eq).toString(), Buffer.from(body.subarray(eq + 1)));
    buf = buf.subarray(len);
  }
  return records;
}

/** Encodes records as Go's `formatPAXRecord` does, in the order given. */
export function encodePaxRecords(records: Iterable<readonly [string, Uint8Array | string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, rawValue] of records) {
    const value = typeof rawValue === 'string' ? Buffer.from(rawValue) : Buffer.from(rawValue.buffer, rawValue.byteOffset, rawValue.byteLength);
    const body = Buffer.concat([Buffer.from(' ' + key + '='), value, Buffer.from('\n')]);
    let size = body.length + String(body.length).length;
    if (String(size).length + body.length !== size) size = String(size).length + body.length;
    parts.push(Buffer.from(String(size)), body);
  }
  return Buffer.concat(parts);
}
