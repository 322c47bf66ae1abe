/**
 * Reads an ingest file while it is being written (`tail -f` for one blob): the unpacker of a pull
 * follows the download this way, so a slow unpack (many small files) never holds the download
 * back, and a fast one stays right behind it — without buffering a layer in memory. The writer
 * calls `grew(n)` after each write lands in the file, `end()` when no more comes, `fail(err)`
 * when the download broke. The file is opened at once, so it stays readable after the blob is
 * committed (renamed) or the ingest removed.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

const readSize = 1024 * 1024;

export class IngestTail extends Readable {
  private fh: FileHandle | null = null;
  private pos = 0;
  private written = 0;
  private ended = false;
  private waiting: (() => void) | null = null;
  private reading = false;

  private constructor() {
    super({ highWaterMark: readSize });
  }

  static async open(path: string): Promise<IngestTail> {
    const t = new IngestTail();
    t.fh = await open(path, 'r');
    return t;
  }

  /** `total` bytes are in the file now. */
  grew(total: number): void {
    this.written = total;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(err: Error): void {
    this.destroy(err);
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    void this.pump().finally(() => (this.reading = false));
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        if (this.destroyed) return;
        if (this.pos < this.written) {
          const want = Math.min(readSize, this.written - this.pos);
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await this.fh!.read(buf, 0, want, this.pos);
          if (bytesRead === 0) throw new Error(`ingest ended early at byte ${this.pos} of ${this.written}`);
          this.pos += bytesRead;
          if (!this.push(bytesRead === want ? buf : buf.subarray(0, bytesRead))) return;
          continue;
        }
        if (this.ended) {
          this.push(null);
          return;
        }
        await new Promise<void>((resolve) => (this.waiting = resolve));
      }
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.wake();
    const fh = this.fh;
    this.fh = null;
    if (!fh) return cb(err);
    fh.close().then(
      () => cb(err),
      () => cb(err),
    );
  }
}
