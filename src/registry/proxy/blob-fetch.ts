/**
 * One upstream download of a blob the cache lacks, shared by every client that asks for it while
 * it runs. The verified stream from upstream is written to a file under the storage's ingest/;
 * readers (client responses, each with its own byte range) tail that file through one shared
 * read handle, as fast as each of them can take it, so a slow client never slows the download
 * and many clients cause one upstream fetch.
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
}

type State = 'running' | 'committed' | 'failed';

const readChunk = 512 * 1024;

export class BlobFetch {
  readonly digest: Digest;
  readonly size: number;
  private stateValue: State = 'running';
  private errorValue: Error | undefined;
  private writtenBytes = 0;
  private verifiedFlag = false;
  private readonly path: string;
  private readHandle: FileHandle | undefined;
  private ready: Promise<FileHandle> | undefined;
  private source: Readable | undefined;
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

  private aborted: Error | undefined;
  /** Open while bytes are being written. */
  private writeHandle: FileHandle | undefined;

  private async run(): Promise<void> {
    try {
      const write = await this.ready!;
      if (this.aborted) throw this.aborted;
      const source = (this.source = this.opts.source());
      for await (const chunk of source) {
        const buf = chunk as Buffer;
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await write.write(buf, off, buf.length - off, this.writtenBytes);
          off += bytesWritten;
          this.writtenBytes += bytesWritten;
        }
        this.notify();
      }
      // The client's stream ends only after size and digest matched.
      if (this.writtenBytes !== this.size) throw new InternalError(`Cannot cache blob ${this.digest}: the upstream stream ended after ${this.writtenBytes} of ${this.size} bytes`);
      this.verifiedFlag = true;
      this.notify();
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
      this.opts.logger.warn('pull-through: blob fetch failed; nothing stored', { digest: this.digest, received: this.writtenBytes, size: this.size, error: err as Error });
      this.finish(false);
    }
  }

  private finish(ok: boolean): void {
    this.opts.onFinish?.({ ok, bytes: this.writtenBytes, ...(this.errorValue ? { error: this.errorValue } : {}) });
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
    this.waiters = [];
    for (const wake of w) wake();
  }

  /** Resolves at the next write, at the verification, or at the end. */
  changed(): Promise<void> {
    if (this.stateValue !== 'running') return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  private releaseReadHandle(): void {
    if (this.readers > 0 || this.stateValue === 'running') return;
    const h = this.readHandle;
    this.readHandle = undefined;
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
    while (this.stateValue === 'running' && this.writtenBytes === 0) await this.changed();
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
        const limit = verified ? this.end + 1 : Math.min(f.written, this.end);
        if (this.pos >= limit) {
          await f.changed();
          continue;
        }
        const n = Math.min(limit - this.pos, readChunk);
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
