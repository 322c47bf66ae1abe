/**
 * One upstream download of a blob the cache lacks, shared by every client that asks for it while
 * it runs. The verified stream from upstream is written to a file under the storage's ingest/;
 * readers (client responses, each with its own byte range) follow it as fast as each of them can
 * take it, so a slow client never slows the download and many clients cause one upstream fetch.
 *
 * The newest bytes stay in memory too (a window of the chunks as they came off the socket), and a
 * reader inside that window sends those very buffers: no read back from the file, no copy, and no
 * wait for the file write. A reader that falls behind the window reads the file (every byte
 * before the window is written). File writes run beside the download, several chunks per call;
 * when they lag by more than a bound, the download pauses until they catch up.
 *
 * Lifecycle: running → committed (the stream ended with its digest and size matched, the file was
 * fsynced and renamed into blobs/ and linked to every repository that asked) or → failed (the
 * file is removed; nothing is stored).
 *
 * What a reader may send: every byte of its range as soon as it is written, except its last one,
 * which waits until the whole blob is verified (digest and size). So a response completes only
 * with bytes verified as the blob's, and a download that fails verification aborts every response
 * still open (it is destroyed, never ended). Once verified, readers finish even if the commit
 * (fsync, rename) then fails: their bytes are good, the cache just does not keep them.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Digest } from '../../util/digest.js';
import { InternalError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { BlobInfo } from '../storage/index.js';

/** What a fetch needs of the registry's storage. */
export interface FetchStorage {
  newIngestPath(): string;
  storeFetchedBlob(repository: string, file: string, d: Digest): Promise<BlobInfo>;
  linkFetchedBlob(repository: string, d: Digest): Promise<BlobInfo | undefined>;
  openBlob(d: Digest, range?: { start: number; end: number }): Readable;
}

export interface BlobFetchOptions {
  readonly digest: Digest;
  readonly size: number;
  /** The repository the fetch was started for; others join with alsoLink. */
  readonly repository: string;
  /** Opens the verified upstream stream (called once). */
  readonly source: () => Readable;
  readonly storage: FetchStorage;
  readonly logger: Logger;
  /** Called once, synchronously, when the fetch is committed or failed. */
  readonly onFinish?: (outcome: { ok: boolean; bytes: number; error?: Error }) => void;
  /** Maps a download failure to the error readers are destroyed with (and later open() rejects with). */
  readonly failure?: (err: unknown) => Error;
  /** Bytes behind the newest that stay in memory for readers (default 4 MiB). */
  readonly memoryWindowBytes?: number;
  /** Received bytes not yet in the file at which the download pauses (default 8 MiB). */
  readonly maxUnwrittenBytes?: number;
}

type State = 'running' | 'committed' | 'failed';

const readChunk = 512 * 1024;
/** The most one reader sends at once out of the window. */
const maxSend = 1024 * 1024;
/** Buffers handed to one writev call at most (the kernel's IOV_MAX is 1024). */
const maxWriteBuffers = 256;

/** A chunk as it came from upstream, at its offset in the blob. */
interface Chunk {
  readonly start: number;
  readonly buf: Buffer;
}

export class BlobFetch {
  readonly digest: Digest;
  readonly size: number;
  private stateValue: State = 'running';
  private errorValue: Error | undefined;
  /** Bytes that came from upstream (in the window, the file, or both). */
  private receivedBytes = 0;
  /** Bytes in the ingest file. */
  private writtenBytes = 0;
  private verifiedFlag = false;
  private readonly path: string;
  private readHandle: FileHandle | undefined;
  /** Open while bytes are being written. */
  private writeHandle: FileHandle | undefined;
  private ready: Promise<FileHandle> | undefined;
  private source: Readable | undefined;
  private aborted: Error | undefined;
  /** The newest chunks, oldest first; everything before window[0] is in the file. */
  private window: Chunk[] = [];
  private writing: Promise<void> | undefined;
  private writeError: Error | undefined;
  private readonly windowBytes: number;
  private readonly maxUnwritten: number;
  private readers = 0;
  private readonly repositories: Set<string>;
  private waiters: Array<() => void> = [];
  /** Settles when the fetch is committed or failed (never rejects). */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(private readonly opts: BlobFetchOptions) {
    this.digest = opts.digest;
    this.size = opts.size;
    this.repositories = new Set([opts.repository]);
    this.path = opts.storage.newIngestPath();
    this.windowBytes = opts.memoryWindowBytes ?? 4 * 1024 * 1024;
    this.maxUnwritten = Math.max(1, opts.maxUnwrittenBytes ?? 8 * 1024 * 1024);
    this.finished = new Promise((r) => (this.resolveFinished = r));
  }

  get state(): State {
    return this.stateValue;
  }

  get error(): Error | undefined {
    return this.errorValue;
  }

  /** Whether every byte arrived and matched the digest (the readers' last bytes may go). */
  get verified(): boolean {
    return this.verifiedFlag;
  }

  /** Bytes received from upstream so far. */
  get received(): number {
    return this.receivedBytes;
  }

  /** Bytes written to the ingest file so far. */
  get written(): number {
    return this.writtenBytes;
  }

  /** Starts the download (once). Readers may be opened right away; they wait for bytes. */
  start(): void {
    if (this.ready) return;
    this.ready = (async () => {
      this.writeHandle = await open(this.path, 'wx', 0o644);
      this.readHandle = await open(this.path, 'r');
      return this.writeHandle;
    })();
    this.ready.catch(() => {});
    void this.run();
  }

  /** Stops a running download (the registry is stopping): it fails, nothing is stored. */
  abort(reason: Error): void {
    if (this.stateValue !== 'running') return;
    this.aborted = reason;
    this.source?.destroy(reason);
  }

  private async run(): Promise<void> {
    try {
      const write = await this.ready!;
      if (this.aborted) throw this.aborted;
      const source = (this.source = this.opts.source());
      await this.receive(source, write);
      // The client's stream ends only after size and digest matched.
      if (this.receivedBytes !== this.size) throw new InternalError(`Cannot cache blob ${this.digest}: the upstream stream ended after ${this.receivedBytes} of ${this.size} bytes`);
      this.verifiedFlag = true;
      this.notify();
      await this.flush();
      await write.sync();
      this.writeHandle = undefined;
      await write.close();
      await this.opts.storage.storeFetchedBlob(this.opts.repository, this.path, this.digest);
      this.stateValue = 'committed';
      // Repositories that joined before the commit; a Set's iteration also visits those added
      // during it, and one joining from now on is linked by alsoLink itself.
      for (const r of this.repositories) if (r !== this.opts.repository) await this.opts.storage.linkFetchedBlob(r, this.digest);
      this.finish(true);
    } catch (err) {
      this.source?.destroy();
      await this.writing?.catch(() => {});
      const write = this.writeHandle;
      this.writeHandle = undefined;
      await write?.close().catch(() => {});
      if (this.stateValue === 'committed') {
        // The blob is stored; only a second link failed.
        this.opts.logger.warn('pull-through: linking a fetched blob to a repository failed', { digest: this.digest, error: err as Error });
        this.finish(true);
        return;
      }
      await unlink(this.path).catch(() => {});
      this.errorValue = this.opts.failure ? this.opts.failure(err) : (err as Error);
      this.stateValue = 'failed';
      this.opts.logger.warn('pull-through: blob fetch failed; nothing stored', { digest: this.digest, received: this.receivedBytes, size: this.size, error: err as Error });
      this.finish(false);
    }
  }

  /**
   * Takes the chunks as the socket gives them ('data', not an iterator, which would concatenate
   * what is buffered into a copy) until the verified end; pauses while the file lags too far.
   */
  private receive(source: Readable, write: FileHandle): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        source.removeListener('data', onData);
        source.removeListener('end', onEnd);
        source.removeListener('error', onError);
        source.removeListener('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onData = (chunk: Buffer) => {
        if (this.receivedBytes + chunk.length > this.size) {
          done(new InternalError(`Cannot cache blob ${this.digest}: upstream sent more than its ${this.size} bytes`));
          return;
        }
        this.window.push({ start: this.receivedBytes, buf: chunk });
        this.receivedBytes += chunk.length;
        this.notify();
        this.startWriting(write, done);
        if (this.receivedBytes - this.writtenBytes > this.maxUnwritten) source.pause();
      };
      const onEnd = () => done();
      const onError = (err: Error) => done(err);
      // Destroyed without an error (abort() passes its reason; a plain destroy means the same).
      const onClose = () => done(this.aborted ?? new InternalError(`Cannot cache blob ${this.digest}: the upstream stream closed early`));
      source.on('data', onData);
      source.once('end', onEnd);
      source.once('error', onError);
      source.once('close', onClose);
    });
  }

  /** Lets a download paused by receive() go on once the file is within half the bound again. */
  private resumeSource(): void {
    const source = this.source;
    if (source?.isPaused() && this.receivedBytes - this.writtenBytes <= this.maxUnwritten / 2) source.resume();
  }

  /** Runs the file writer unless it runs; it writes until the file holds every received byte. */
  private startWriting(write: FileHandle, onError: (err: Error) => void): void {
    if (this.writing) return;
    this.writing = (async () => {
      try {
        while (this.writtenBytes < this.receivedBytes) {
          const bufs = this.unwrittenBuffers();
          const { bytesWritten } = await write.writev(bufs, this.writtenBytes);
          if (bytesWritten <= 0) throw new InternalError(`Cannot cache blob ${this.digest}: writing its ingest file made no progress`);
          this.writtenBytes += bytesWritten;
          this.evict();
          this.resumeSource();
        }
      } catch (err) {
        this.writeError = err as Error;
        onError(err as Error);
      } finally {
        this.writing = undefined;
      }
    })();
  }

  /** Waits until the file holds every received byte (the writer runs until it does, or fails). */
  private async flush(): Promise<void> {
    await this.writing;
    if (this.writeError) throw this.writeError;
  }

  /** The window's bytes from writtenBytes on, as buffers for one writev. */
  private unwrittenBuffers(): Buffer[] {
    const out: Buffer[] = [];
    let i = this.chunkIndex(this.writtenBytes);
    for (; i < this.window.length && out.length < maxWriteBuffers; i++) {
      const c = this.window[i]!;
      const skip = Math.max(0, this.writtenBytes - c.start);
      out.push(skip > 0 ? c.buf.subarray(skip) : c.buf);
    }
    return out;
  }

  /** Drops the oldest chunks that are in the file and more than the window behind the newest byte. */
  private evict(): void {
    let n = 0;
    const w = this.window;
    while (n < w.length) {
      const c = w[n]!;
      const end = c.start + c.buf.length;
      if (end > this.writtenBytes || this.receivedBytes - end < this.windowBytes) break;
      n++;
    }
    if (n > 0) this.window = w.slice(n);
  }

  /** The index of the window chunk holding byte `pos` (pos must be in the window). */
  private chunkIndex(pos: number): number {
    const w = this.window;
    let lo = 0;
    let hi = w.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (w[mid]!.start <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Bytes from `pos` up to `limit` (exclusive) out of the window: the chunk's own buffer, or one
   * copy joining the chunks there up to maxSend; undefined when pos is before the window.
   */
  inMemory(pos: number, limit: number): Buffer | undefined {
    const first = this.window[0];
    if (!first || pos < first.start || pos >= this.receivedBytes) return undefined;
    let i = this.chunkIndex(pos);
    const c = this.window[i]!;
    const from = pos - c.start;
    const to = Math.min(c.buf.length, limit - c.start);
    const one = from === 0 && to === c.buf.length ? c.buf : c.buf.subarray(from, to);
    // Several chunks are there: one larger socket write instead of many of the socket's 64 KiB
    // reads, for a copy.
    const end = Math.min(limit, pos + maxSend);
    if (c.start + c.buf.length >= end) return one;
    const parts = [one];
    let at = c.start + c.buf.length;
    for (i++; i < this.window.length && at < end; i++) {
      const next = this.window[i]!;
      const take = Math.min(next.buf.length, end - at);
      parts.push(take === next.buf.length ? next.buf : next.buf.subarray(0, take));
      at += take;
    }
    return parts.length === 1 ? one : Buffer.concat(parts, at - pos);
  }

  private finish(ok: boolean): void {
    this.opts.onFinish?.({ ok, bytes: this.receivedBytes, ...(this.errorValue ? { error: this.errorValue } : {}) });
    this.notify();
    this.releaseReadHandle();
    this.resolveFinished();
  }

  /** Whether a request of `repository` may read from this download now (it is running and upstream confirmed the repository has the blob). */
  servesRepository(repository: string): boolean {
    return this.stateValue === 'running' && this.repositories.has(repository);
  }

  /** Links the blob to `repository` too, now if it is committed, else at the commit. */
  async alsoLink(repository: string): Promise<void> {
    if (this.stateValue === 'committed') await this.opts.storage.linkFetchedBlob(repository, this.digest);
    else this.repositories.add(repository);
  }

  /** Wakes every reader waiting for bytes or the outcome. */
  private notify(): void {
    const w = this.waiters;
    if (w.length === 0) return;
    this.waiters = [];
    for (const wake of w) wake();
  }

  /** Resolves at the next chunk, at the verification, or at the end. */
  changed(): Promise<void> {
    if (this.stateValue !== 'running') return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  private releaseReadHandle(): void {
    if (this.readers > 0 || this.stateValue === 'running') return;
    const h = this.readHandle;
    this.readHandle = undefined;
    this.window = [];
    void h?.close().catch(() => {});
  }

  /**
   * A stream of bytes `range` (inclusive; the whole blob without one), once the download has its
   * first byte. Rejects with the fetch's error once it failed; after the commit it reads the
   * stored blob.
   */
  async open(range?: { start: number; end: number }): Promise<Readable> {
    if (this.stateValue === 'failed') throw this.errorValue!;
    // Verified but not yet committed: fine to read; committed without a read handle: the stored blob.
    if (this.stateValue === 'committed' && !this.readHandle) return this.opts.storage.openBlob(this.digest, range);
    this.readers++;
    try {
      await this.ready;
    } catch {
      /* the run fails the fetch; its error is the answer */
    }
    // Until the first byte arrived the download may still fail outright (upstream's GET answers
    // an error): then the client gets an error response rather than a 200 that breaks off.
    while (this.stateValue === 'running' && this.receivedBytes === 0) await this.changed();
    const handle = this.readHandle;
    if (this.state === 'failed' || !handle) {
      this.readers--;
      this.releaseReadHandle();
      await this.finished;
      throw this.errorValue!;
    }
    return new FetchReader(this, handle, range?.start ?? 0, range?.end ?? this.size - 1, () => {
      this.readers--;
      this.releaseReadHandle();
    });
  }
}

/** One client's view of a running fetch (see BlobFetch on what it may send when). */
class FetchReader extends Readable {
  private pos: number;
  private pumping = false;
  private released = false;

  constructor(
    private readonly fetch: BlobFetch,
    private readonly handle: FileHandle,
    start: number,
    private readonly end: number,
    private readonly release: () => void,
  ) {
    super({ highWaterMark: readChunk });
    this.pos = start;
  }

  override _read(): void {
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.destroyed) return;
        const f = this.fetch;
        const verified = f.verified;
        if (f.state === 'failed' && !verified) {
          this.destroy(f.error);
          return;
        }
        if (this.pos > this.end) {
          if (verified) {
            this.push(null);
            return;
          }
          await f.changed();
          continue;
        }
        // Exclusive bound: the range's last byte goes only once the whole blob is verified.
        const limit = verified ? this.end + 1 : Math.min(f.received, this.end);
        if (this.pos >= limit) {
          await f.changed();
          continue;
        }
        const held = f.inMemory(this.pos, limit);
        if (held) {
          this.pos += held.length;
          if (!this.push(held)) return;
          continue;
        }
        // Behind the window: those bytes are in the file (read no further than it is written).
        const n = Math.min(Math.min(limit, f.written) - this.pos, readChunk);
        if (n <= 0) {
          await f.changed();
          continue;
        }
        const buf = Buffer.allocUnsafe(n);
        const { bytesRead } = await this.handle.read(buf, 0, n, this.pos);
        if (this.destroyed) return;
        if (bytesRead === 0) throw new InternalError(`Cannot read fetched blob ${f.digest}: its ingest file is shorter than the ${limit} bytes written`);
        this.pos += bytesRead;
        if (!this.push(bytesRead === n ? buf : buf.subarray(0, bytesRead))) return;
      }
    } catch (err) {
      this.destroy(err as Error);
    } finally {
      this.pumping = false;
    }
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.released) {
      this.released = true;
      this.release();
    }
    cb(err);
  }
}
