/**
 * Header blocks as Go's archive/tar writes them in PAX format: a USTAR header, preceded by a PAX
 * extended header when a value does not fit (long or non-ASCII names, big ids, sizes and times,
 * xattrs). tar-stream's writer cannot be used here: it encodes PAX values as UTF-8 text (binary
 * xattrs break) and silently writes 7777777 for uids beyond six octal digits.
 */
import { InvalidArgumentError } from '../errors.js';
import { baseName, joinName, parentName } from './entry-name.js';
import { encodePaxRecords, paxXattrPrefix } from './pax.js';

export const blockSize = 512;

export interface HeaderFields {
  /** Cleaned name; directories get their trailing '/' here. */
  readonly name: string;
  readonly typeflag: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  /** Whole seconds since the epoch. */
  readonly mtime: number;
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
}

const max8 = 0o7777777;
const max12 = 0o77777777777;
const zeroBlock = Buffer.alloc(blockSize);

/** The zero bytes that pad `size` bytes of data to a whole block. */
export function paddingFor(size: number): Buffer {
  const rest = size % blockSize;
  return rest === 0 ? Buffer.alloc(0) : zeroBlock.subarray(0, blockSize - rest);
}

/** The header blocks of one entry (a PAX header and its records first, when needed). */
export function encodeHeader(h: HeaderFields): Buffer[] {
  const pax = new Map<string, Uint8Array | string>();
  let name = h.name;
  let prefix = '';
  if (!isAscii(name) || name.length > 100) {
    const split = splitUstarPath(name);
    if (split) [prefix, name] = split;
    else {
      pax.set('path', h.name);
      name = asciiPrefix(h.name, 100);
    }
  }
  let linkname = h.linkname;
  if (!isAscii(linkname) || linkname.length > 100) {
    pax.set('linkpath', linkname);
    linkname = asciiPrefix(linkname, 100);
  }
  const numeric = (key: string, value: number, max: number): number => {
    if (value >= 0 && value <= max) return value;
    pax.set(key, String(value));
    return 0;
  };
  const uid = numeric('uid', h.uid, max8);
  const gid = numeric('gid', h.gid, max8);
  const size = numeric('size', h.size, max12);
  const mtime = numeric('mtime', h.mtime, max12);
  if (h.devmajor > max8 || h.devminor > max8) {
    throw new InvalidArgumentError(`Cannot pack entry ${JSON.stringify(h.name)}: device number ${h.devmajor}:${h.devminor} does not fit a tar header`);
  }
  for (const [xattr, value] of h.xattrs) {
    if (xattr === '' || xattr.includes('=') || xattr.includes('\0')) {
      throw new InvalidArgumentError(`Cannot pack entry ${JSON.stringify(h.name)}: xattr name ${JSON.stringify(xattr)} cannot be stored`);
    }
    pax.set(paxXattrPrefix + xattr, value);
  }

  const blocks: Buffer[] = [];
  if (pax.size > 0) {
    const keys = [...pax.keys()].sort(compareBytes);
    const records = encodePaxRecords(keys.map((k) => [k, pax.get(k)!] as const));
    const bare = h.name.replace(/\/$/, '');
    const paxName = asciiPrefix(joinName(parentName(bare), 'PaxHeaders.0/' + baseName(bare)), 100);
    blocks.push(
      ustar({ name: paxName, prefix: '', typeflag: 'x', mode: 0, uid: 0, gid: 0, size: records.length, mtime: 0, linkname: '', devmajor: 0, devminor: 0 }),
      records,
      paddingFor(records.length),
    );
  }
  blocks.push(ustar({ name, prefix, typeflag: h.typeflag, mode: h.mode, uid, gid, size, mtime, linkname, devmajor: h.devmajor, devminor: h.devminor }));
  return blocks;
}

interface UstarFields {
  name: string;
  prefix: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

function ustar(f: UstarFields): Buffer {
  const b = Buffer.alloc(blockSize);
  b.write(f.name, 0, 100, 'latin1');
  octal(b, 100, 8, f.mode);
  octal(b, 108, 8, f.uid);
  octal(b, 116, 8, f.gid);
  octal(b, 124, 12, f.size);
  octal(b, 136, 12, f.mtime);
  b.fill(0x20, 148, 156);
  b.write(f.typeflag, 156, 1, 'latin1');
  b.write(f.linkname, 157, 100, 'latin1');
  b.write('ustar\0' + '00', 257, 8, 'latin1');
  octal(b, 329, 8, f.devmajor);
  octal(b, 337, 8, f.devminor);
  b.write(f.prefix, 345, 155, 'latin1');
  let sum = 0;
  for (const byte of b) sum += byte;
  octal(b, 148, 7, sum);
  return b;
}

/** Zero-padded octal digits filling all but the last byte of the field, then NUL. */
function octal(b: Buffer, offset: number, length: number, value: number): void {
  b.write(value.toString(8).padStart(length - 1, '0'), offset, length - 1, 'latin1');
  b[offset + length - 1] = 0;
}

/** Go's splitUSTARPath: a prefix (≤155) and name (≤100) split at a '/'. */
function splitUstarPath(name: string): [string, string] | null {
  if (name.length <= 100 || !isAscii(name)) return null;
  let length = name.length;
  if (length > 156) length = 156;
  else if (name[length - 1] === '/') length--;
  const i = name.lastIndexOf('/', length - 1);
  const suffixLength = name.length - i - 1;
  if (i <= 0 || suffixLength > 100 || suffixLength === 0 || i > 155) return null;
  return [name.slice(0, i), name.slice(i + 1)];
}

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

function asciiPrefix(s: string, max: number): string {
  return s.replace(/[^\x01-\x7f]/g, '').slice(0, max);
}

export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
