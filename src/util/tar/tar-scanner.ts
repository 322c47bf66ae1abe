/**
 * A second look at the raw tar bytes, beside tar-stream, for two things tar-stream cannot give:
 *
 * - PAX records as bytes (binary xattr values), keyed by the byte offset where the entry's data
 *   starts; tar-stream reports the same offset as `header.byteOffset`, so a record can only
 *   ever be paired with the entry it was written for.
 * - The end of the archive: two zero blocks, after which Go's archive/tar (and so Docker)
 *   stops reading. tar-stream would go on parsing whatever follows; the caller feeds it only
 *   the bytes before and including the end marker.
 *
 * The scanner mirrors tar-stream's framing (meta headers, PAX `size`, no data for directories).
 * On anything it does not understand it gives up ("lost"): it then claims every byte as
 * archive and records nothing more, and tar-stream alone decides.
 */
import { parsePaxRecords } from './pax.js';

const block = 512;
/** tar-stream refuses larger meta headers. */
const maxMetaSize = 4 * 1024 * 1024;

type State = 'header' | 'meta' | 'skip' | 'done' | 'lost';

export class TarScanner {
  private state: State = 'header';
  /** Absolute offset of the next byte. */
  private offset = 0;
  private collected: Buffer[] = [];
  private collectedBytes = 0;
  /** Bytes still to collect (header, meta) or skip. */
  private remaining = block;
  private metaType = 0;
  private metaPadding = 0;
  private zeroBlocks = 0;
  private global: Map<string, Buffer> | null = null;
  private local: Map<string, Buffer> | null = null;
  private readonly records = new Map<number, Map<string, Buffer>>();

  /** True once the end-of-archive marker has been seen. */
  get ended(): boolean {
    return this.state === 'done';
  }

  /**
   * Feeds the next chunk; returns how many of its bytes belong to the archive (all of them,
   * unless the end marker lies inside this chunk or came before it).
   */
  write(chunk: Buffer): number {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'done':
          return pos;
        case 'lost':
          return chunk.length;
        case 'skip': {
          const n = Math.min(this.remaining, chunk.length - pos);
          pos += n;
          this.offset += n;
          this.remaining -= n;
          if (this.remaining === 0) this.expectHeader();
          break;
        }
        case 'header':
        case 'meta': {
          const n = Math.min(this.remaining, chunk.length - pos);
          this.collected.push(chunk.subarray(pos, pos + n));
          this.collectedBytes += n;
          pos += n;
          this.offset += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            const bytes = Buffer.concat(this.collected, this.collectedBytes);
            this.collected = [];
            this.collectedBytes = 0;
            if (this.state === 'header') this.onHeader(bytes);
            else this.onMeta(bytes);
          }
          break;
        }
      }
    }
    return pos;
  }

  /** The PAX records of the entry whose data starts at `dataOffset` (tar-stream's `byteOffset`). */
  take(dataOffset: number): Map<string, Buffer> | undefined {
    const found = this.records.get(dataOffset);
    if (found) this.records.delete(dataOffset);
    return found;
  }

  private expectHeader(): void {
    this.state = 'header';
    this.remaining = block;
  }

  private onHeader(header: Buffer): void {
    if (checksum(header) === 8 * 32) {
      // An all-zero block: tar-stream skips it; two in a row end the archive.
      if (++this.zeroBlocks === 2) this.state = 'done';
      else this.expectHeader();
      return;
    }
    this.zeroBlocks = 0;
    const typeflag = header[156]!;
    let size = decodeNumber(header, 124, 12);
    if (size === null || !(size >= 0)) return this.lose();
    // 'x' PAX, 'g' global PAX, 'L' 'K' 'N' GNU long names: their data is meta, not an entry.
    if (typeflag === 0x78 || typeflag === 0x67 || typeflag === 0x4c || typeflag === 0x4b || typeflag === 0x4e) {
      if (size === 0 || size > maxMetaSize) return this.lose();
      this.state = 'meta';
      this.metaType = typeflag;
      this.remaining = size;
      this.metaPadding = padding(size);
      return;
    }
    // A real entry: as tar-stream does, merge the global records under the entry's own ones.
    let pax = this.local;
    this.local = null;
    if (pax && this.global) pax = new Map([...this.global, ...pax]);
    const dataOffset = this.offset;
    if (pax) {
      this.records.set(dataOffset, pax);
      const paxSize = pax.get('size')?.toString();
      if (paxSize) size = parseInt(paxSize, 10);
      if (!(size >= 0)) return this.lose();
    }
    // tar-stream reads no data for directories, whatever their size says.
    if (typeflag === 0x35 || size === 0) return this.expectHeader();
    this.state = 'skip';
    this.remaining = size + padding(size);
  }

  private onMeta(data: Buffer): void {
    if (this.metaType === 0x78) this.local = parsePaxRecords(data);
    else if (this.metaType === 0x67) this.global = parsePaxRecords(data);
    if (this.metaPadding > 0) {
      this.state = 'skip';
      this.remaining = this.metaPadding;
    } else {
      this.expectHeader();
    }
  }

  private lose(): void {
    this.state = 'lost';
    this.records.clear();
  }
}

function padding(size: number): number {
  const rest = size % block;
  return rest === 0 ? 0 : block - rest;
}

/** The header checksum with the checksum field counted as spaces (256 for an all-zero block). */
function checksum(header: Buffer): number {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += header[i]!;
  for (let i = 156; i < block; i++) sum += header[i]!;
  return sum;
}

/** A numeric header field as tar-stream reads it: octal text, or base-256 when the top bit is set. */
export function decodeNumber(buf: Buffer, offset: number, length: number): number | null {
  const field = buf.subarray(offset, offset + length);
  if (field[0]! & 0x80) {
    const positive = field[0] === 0x80;
    if (!positive && field[0] !== 0xff) return null;
    let sum = 0;
    for (let i = 1; i < field.length; i++) sum = sum * 256 + (positive ? field[i]! : 0xff - field[i]!);
    return positive ? sum : -sum;
  }
  let start = 0;
  while (start < field.length && field[start] === 0x20) start++;
  let end = field.indexOf(0x20, start);
  if (end < 0) end = field.length;
  while (start < end && field[start] === 0) start++;
  if (start === end) return 0;
  return parseInt(field.subarray(start, end).toString(), 8);
}
