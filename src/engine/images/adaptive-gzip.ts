/**
 * gzip for layers a push compresses, with effort where it pays and on every core. The input is
 * cut into 1 MiB blocks; a quick probe (level 1 on a block's first 32 KiB) decides each block:
 * stored as is when deflate cannot shrink it (already compressed or random files), else deflated
 * at the given level — several blocks at once on the thread pool, as pigz does with
 * `--independent`. The blocks are byte-aligned deflate segments (sync-flushed) of one gzip
 * member, with the CRC-32 and length of the whole input at the end: any gunzip reads it, and the
 * same input always gives the same bytes, so a layer compressed twice has one digest.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';

const deflateRawAsync = promisify(deflateRaw) as (buf: Buffer, opts: { level: number; finishFlush: number }) => Promise<Buffer>;

const blockSize = 1024 * 1024;
const probeSize = 32 * 1024;
/** A probe that shrinks by less than this (3 %) marks the block incompressible. */
const worthIt = 0.97;
/** Blocks deflating at once (the thread pool has four threads). */
const inFlight = 4;

/** The 10-byte gzip header Node's zlib writes: deflate, no name, mtime 0, OS unix. */
const header = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
/** A final, empty stored block: ends the deflate stream. */
const lastBlock = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);

/** Non-final stored deflate blocks holding `data` (at most 65535 bytes each). */
function storedBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += 65535) {
    const piece = data.subarray(off, off + 65535);
    const h = Buffer.alloc(5);
    h[0] = 0x00;
    h.writeUInt16LE(piece.length, 1);
    h.writeUInt16LE(~piece.length & 0xffff, 3);
    parts.push(h, piece);
  }
  return Buffer.concat(parts);
}

export class AdaptiveGzip extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private crc = 0;
  private total = 0;
  private started = false;
  private stored = 0;
  /** Block results in input order; resolved ones are pushed from the front. */
  private readonly queue: Array<Promise<Buffer>> = [];

  constructor(private readonly level: number) {
    super({ readableHighWaterMark: 1024 * 1024 });
  }

  /** Blocks written stored (for tests and logs). */
  get storedBlocks(): number {
    return this.stored;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < blockSize) return cb();
    const all = Buffer.concat(this.pending, this.pendingBytes);
    const whole = all.length - (all.length % blockSize);
    this.pending = whole < all.length ? [all.subarray(whole)] : [];
    this.pendingBytes = all.length - whole;
    this.blocks(all.subarray(0, whole)).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    const rest = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.blocks(rest)
      .then(() => this.drainQueue(0))
      .then(() => {
        this.begin();
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32LE(this.crc >>> 0, 0);
        trailer.writeUInt32LE(this.total % 2 ** 32, 4);
        this.push(Buffer.concat([lastBlock, trailer]));
        cb();
      })
      .catch(cb);
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    this.push(header);
  }

  private async blocks(data: Buffer): Promise<void> {
    for (let off = 0; off < data.length; off += blockSize) {
      const block = data.subarray(off, off + blockSize);
      this.crc = crc32(block, this.crc);
      this.total += block.length;
      const probe = block.subarray(0, probeSize);
      const incompressible = probe.length >= 4096 && deflateRawSync(probe, { level: 1 }).length >= probe.length * worthIt;
      if (incompressible) {
        this.stored++;
        this.queue.push(Promise.resolve(storedBlocks(block)));
      } else {
        const p = deflateRawAsync(block, { level: this.level, finishFlush: constants.Z_SYNC_FLUSH });
        // Awaited in order by drainQueue; this only keeps a failure from counting as unhandled meanwhile.
        p.catch(() => {});
        this.queue.push(p);
      }
      await this.drainQueue(inFlight);
    }
  }

  /** Pushes finished blocks in order until at most `keep` are in flight. */
  private async drainQueue(keep: number): Promise<void> {
    while (this.queue.length > keep) {
      const out = await this.queue.shift()!;
      this.begin();
      this.push(out);
    }
  }
}
