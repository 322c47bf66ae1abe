/**
 * Reusable read buffers for blob bodies. Serving a blob in fresh 512 KiB buffers made the garbage
 * collector the second-largest cost of an 8 MiB GET (each buffer a fresh mapping, faulted in and
 * unmapped again); a buffer handed back once its socket write finished is filled again instead.
 * Only `maxFree` buffers are kept between uses: a burst of concurrent responses leaves the pool at
 * that size and the rest to the collector.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly bufferSize: number,
    private readonly maxFree: number,
  ) {}

  /** A buffer of `bufferSize` bytes with unspecified contents, owned by the caller until `give`. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferSize);
  }

  /** Returns a buffer nothing reads or writes any more (a socket write that completed, not one in flight). */
  give(buf: Buffer): void {
    if (buf.length === this.bufferSize && this.free.length < this.maxFree) this.free.push(buf);
  }

  /** Buffers waiting to be taken (for tests). */
  get freeCount(): number {
    return this.free.length;
  }
}
